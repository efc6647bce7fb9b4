// Decode the next images while this one is being looked at, so the next one paints at once.
// `st.preloaded` maps an item key to its <img>, decoding or decoded.

/** Start decoding the (up to) two images after `item`, forgetting the others decoded ahead. */
export function preloadNext(st, ctx, item) {
  clearTimeout(st.preloadTimer);
  st.preloadTimer = setTimeout(() => {
    const next = ctx.window.upcoming.filter((key) => key !== item.key).slice(0, 2);
    for (const key of st.preloaded.keys()) if (!next.includes(key)) st.preloaded.delete(key);
    for (const key of next) {
      const url = ctx.window.items.get(key)?.payload?.image?.url;
      if (!url || st.preloaded.get(key)?.src === url) continue;
      const img = new Image();
      img.src = url;
      img.decode().then(
        () => {
          img.dataset.decoded = "1"; // (read by the benchmark: this image paints without decoding)
        },
        () => {}, // a broken image shows its error when it is on screen
      );
      st.preloaded.set(key, img);
    }
  }, 50);
}

/** The image decoded ahead for `key` (taken: it goes on screen), or undefined. */
export function takePreloaded(st, key) {
  const img = st.preloaded.get(key);
  st.preloaded.delete(key);
  return img;
}

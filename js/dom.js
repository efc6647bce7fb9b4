// Small DOM helpers. User data only ever goes through textContent.

/** Create an element with attributes and children (strings become text nodes). */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

/**
 * Show HTML that the kernel has already sanitised with an allow-list (guidelines, Markdown).
 * DOMParser never runs scripts; the nodes are moved in, not re-parsed.
 */
export function setSanitizedHTML(container, html) {
  const doc = new DOMParser().parseFromString(String(html), "text/html");
  for (const a of doc.querySelectorAll("a")) {
    a.setAttribute("target", "_blank");
    a.setAttribute("rel", "noopener noreferrer nofollow");
  }
  container.replaceChildren(...Array.from(doc.body.childNodes));
}

/**
 * Show a prompt or response the kernel rendered: `{html}` (sanitised Markdown), `{chat: [{role,
 * html}]}` (a transcript; roles as text) or `{empty: true}`.
 */
export function setContent(container, content) {
  if (!content || content.empty) {
    container.replaceChildren(h("div", { class: "nbl-empty", text: "(empty)" }));
  } else if (content.chat) {
    container.replaceChildren(
      ...content.chat.map((m) => {
        const body = h("div", { class: "nbl-chat-content" });
        setSanitizedHTML(body, m.html);
        return h("div", { class: "nbl-chat-message", "data-role": m.role }, h("div", { class: "nbl-chat-role", text: m.role }), body);
      }),
    );
  } else {
    setSanitizedHTML(container, content.html);
  }
}

/** Add an event listener and return the function that removes it. */
export function listen(target, type, handler, options) {
  target.addEventListener(type, handler, options);
  return () => target.removeEventListener(type, handler, options);
}

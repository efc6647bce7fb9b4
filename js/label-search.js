// Pure type-ahead search over a label set (up to 100,000 labels): folding, matching, ranking,
// and the parts of a label to highlight. No DOM here: label-picker.js draws the results.

/** How many matches the picker draws; the rest are counted, never rendered. */
export const SHOWN = 20;

const MARKS = /[\u0300-\u036f]/g;
const NON_ASCII = /[^\x00-\x7f]/;

/** Text as matched: lower case, accents removed ("Café" and "cafe" match each other). */
export function fold(text) {
  const lower = String(text).toLowerCase();
  return NON_ASCII.test(lower) ? lower.normalize("NFD").replace(MARKS, "") : lower;
}

/** The query's words, folded ("  Acute  bronch " → ["acute", "bronch"]). */
export function queryTokens(query) {
  return fold(query).split(/\s+/).filter(Boolean);
}

/** Every label folded, in one pass over the joined text (100,000 small calls cost far more). */
export function foldAll(labels) {
  const SEP = "\u0000";
  const joined = labels.join(SEP);
  const folded = fold(joined).split(SEP);
  const out = folded.length === labels.length ? folded : labels.map(fold); // a label holds NUL
  for (let i = 0; i < out.length; i++) out[i] = out[i].trim();
  return out;
}

/** Whether the character before `at` ends a word: letters, digits (and any non-ASCII). */
function afterWordChar(text, at) {
  const c = text.charCodeAt(at - 1);
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 122) || c > 127;
}

/** Whether `token` starts a word of `text` (at the start, or after a non-alphanumeric). */
function startsWord(text, token) {
  for (let at = text.indexOf(token); at >= 0; at = text.indexOf(token, at + 1)) {
    if (at === 0 || !afterWordChar(text, at)) return true;
  }
  return false;
}

/**
 * How well a folded, trimmed label matches: -1 = no match (some word of the query is not in
 * it); 0 = the whole label; 1 = the label starts with the query; 2 = every query word starts a
 * word of the label; 3 = the words are inside words. With `coarse`, 2 and 3 are both 2.
 */
export function matchTier(text, tokens, phrase, coarse = false) {
  for (let k = 0; k < tokens.length; k++) if (!text.includes(tokens[k])) return -1;
  if (text === phrase) return 0;
  if (text.startsWith(phrase)) return 1;
  if (coarse) return 2;
  for (let k = 0; k < tokens.length; k++) if (!startsWord(text, tokens[k])) return 3;
  return 2;
}

/** Whether a match (tier, length, index) ranks before match `b`: tier, then shorter label,
 * then label order. */
function before(tier, length, index, b) {
  return (tier - b.tier || length - b.length || index - b.index) < 0;
}

/**
 * A searcher over `labels`. `search(query, limit)` returns `{indices, total}`: the best `limit`
 * label indices in rank order and how many labels match. Typing on (a query that extends the
 * previous one) only re-checks the previous matches.
 */
export function createLabelSearch(labels) {
  let folded = null; // built on the first search, not when the widget is drawn
  let last = { phrase: null, matches: null };

  function foldedLabels() {
    if (folded === null) folded = foldAll(labels);
    return folded;
  }

  function search(query, limit = SHOWN) {
    const tokens = queryTokens(query);
    const phrase = tokens.join(" ");
    if (!tokens.length) {
      last = { phrase: null, matches: null };
      const n = Math.min(limit, labels.length);
      return { indices: Array.from({ length: n }, (_, i) => i), total: labels.length };
    }
    const texts = foldedLabels();
    // Only a query that adds to the end of the last one can narrow its matches.
    const pool = last.matches !== null && fold(query).trim().startsWith(last.raw) ? last.matches : null;
    const matches = [];
    const top = []; // the best `limit` so far, in rank order
    const count = pool ? pool.length : texts.length;
    for (let k = 0; k < count; k++) {
      const index = pool ? pool[k] : k;
      const text = texts[index];
      // Word starts are looked for only when they can still change the top `limit` (indices
      // only grow, so a label no shorter than the worst of the same tier never gets in).
      const worst = top.length === limit ? top[limit - 1] : null;
      const coarse = worst !== null && (worst.tier < 2 || (worst.tier === 2 && text.length >= worst.length));
      const tier = matchTier(text, tokens, phrase, coarse);
      if (tier < 0) continue;
      matches.push(index);
      if (worst !== null && !before(tier, text.length, index, worst)) continue;
      let at = top.length;
      while (at > 0 && before(tier, text.length, index, top[at - 1])) at -= 1;
      top.splice(at, 0, { tier, length: text.length, index });
      if (top.length > limit) top.pop();
    }
    last = { phrase, raw: fold(query).trim(), matches };
    return { indices: top.map((e) => e.index), total: matches.length };
  }

  /** Fold the labels now (the first search would otherwise pay for it). */
  function prepare() {
    foldedLabels();
  }

  return { search, prepare };
}

/**
 * `label` cut into `[{text, match}]` parts, the parts where a query word occurs marked (each
 * word's first occurrence), for drawing with text nodes only.
 */
export function highlight(label, query) {
  const tokens = queryTokens(query);
  const text = String(label);
  if (!tokens.length) return [{ text, match: false }];
  // Fold one character at a time, remembering where each folded character came from, so a
  // match in the folded text maps back onto the label as shown.
  let foldedText = "";
  const origin = [];
  let i = 0;
  for (const ch of text) {
    const f = fold(ch);
    for (let k = 0; k < f.length; k++) origin.push(i);
    foldedText += f;
    i += ch.length;
  }
  origin.push(text.length);
  const marked = new Array(text.length).fill(false);
  for (const token of tokens) {
    const at = foldedText.indexOf(token);
    if (at < 0) continue;
    const end = at + token.length < origin.length ? origin[at + token.length] : text.length;
    for (let c = origin[at]; c < Math.max(end, origin[at] + 1); c++) marked[c] = true;
  }
  const parts = [];
  for (let c = 0; c < text.length; c++) {
    const last = parts[parts.length - 1];
    if (last && last.match === marked[c]) last.text += text[c];
    else parts.push({ text: text[c], match: marked[c] });
  }
  return parts;
}

/** Drafts made of parts (Spans' spans, Boxes' boxes) and the suggestion the kernel may push after
 * the item was drawn. */

/** Whether draft `d` of `item` was started before the item's suggestion arrived (pushed by the
 * kernel later) and is untouched since: then it is started again, with the suggestion. A draft
 * holds its parts in `spans` or `boxes`, the suggested ones in `suggestions`, its edits in
 * `history`. */
export function lateSuggestion(d, item) {
  return (
    d.key === item.key &&
    (item.value === null || item.value === undefined) &&
    Array.isArray(item.payload.suggestion) &&
    item.payload.suggestion.length > 0 &&
    d.suggestions.length === 0 &&
    d.history.length === 0 &&
    (d.spans ?? d.boxes).length === 0
  );
}

// @ts-check
/**
 * Safe Markdown for guidelines: the whole source is HTML-escaped first, then a small subset is
 * turned into markup (headings, paragraphs, bold, italic, strike, code, fenced code, lists,
 * quotes, rules, links and images to http(s) or same-site paths). Nothing the author writes can
 * become an element or attribute of its own.
 */

/** @param {string} text */
export function escapeHtml(text) {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

// Relative paths must not be protocol-relative ("//evil.example") or a scheme in disguise.
const SAFE_URL = /^(https?:\/\/[^\s]+|\/(?!\/)[^\s]*|#[^\s]*|mailto:[^\s]+)$/i;

/**
 * Inline formatting of one already-escaped line.
 * @param {string} escaped
 * @returns {string}
 */
function inline(escaped) {
  /** @type {string[]} */
  const held = [];
  const hold = (/** @type {string} */ html) => `\u0000${held.push(html) - 1}\u0000`;
  let text = escaped.replace(/`([^`]+)`/g, (_, code) => hold(`<code>${code}</code>`));
  text = text.replace(/!\[([^\]]*)\]\(([^)\s]+)\)/g, (whole, alt, url) =>
    SAFE_URL.test(url) ? hold(`<img src="${url}" alt="${alt}" loading="lazy">`) : whole,
  );
  text = text.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (whole, label, url) =>
    SAFE_URL.test(url)
      ? hold(`<a href="${url}" rel="noopener noreferrer" target="_blank">${label}</a>`)
      : whole,
  );
  text = text
    .replace(/\*\*(?=\S)(.+?)(?<=\S)\*\*/g, "<strong>$1</strong>")
    .replace(/(^|[^\w])__(?=\S)(.+?)(?<=\S)__(?!\w)/g, "$1<strong>$2</strong>")
    .replace(/\*(?=\S)(.+?)(?<=\S)\*/g, "<em>$1</em>")
    .replace(/(^|[^\w])_(?=\S)(.+?)(?<=\S)_(?!\w)/g, "$1<em>$2</em>")
    .replace(/~~(?=\S)(.+?)(?<=\S)~~/g, "<del>$1</del>")
    .replace(/ {2,}$/g, "<br>");
  // Held pieces may hold others (code inside a link label): resolve until none is left.
  while (/\u0000\d+\u0000/.test(text)) {
    text = text.replace(/\u0000(\d+)\u0000/g, (_, index) => held[Number(index)]);
  }
  return text;
}

const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const BULLET = /^\s*[-*+]\s+(.*)$/;
const NUMBERED = /^\s*(\d{1,9})[.)]\s+(.*)$/;
const QUOTE = /^\s*&gt;\s?(.*)$/;
const RULE = /^\s*([-*_])(\s*\1){2,}\s*$/;
const FENCE = /^\s*```/;

/**
 * @param {string} source  Markdown as the author typed it
 * @returns {string}  HTML safe to assign to innerHTML
 */
export function renderMarkdown(source) {
  const lines = escapeHtml(source.replace(/\u0000/g, "").replace(/\r\n?/g, "\n")).split("\n");
  /** @type {string[]} */
  const out = [];
  /** @type {string[]} */
  let paragraph = [];
  /** @type {{tag: string, start: number, items: string[]} | null} */
  let list = null;
  /** @type {string[] | null} */
  let quote = null;

  const flush = () => {
    if (paragraph.length) out.push(`<p>${paragraph.map(inline).join("\n")}</p>`);
    paragraph = [];
    if (list) {
      const start = list.start > 1 ? ` start="${list.start}"` : "";
      const items = list.items.map((item) => `<li>${item}</li>`).join("");
      out.push(`<${list.tag}${start}>${items}</${list.tag}>`);
      list = null;
    }
    if (quote) {
      out.push(`<blockquote>${renderMarkdownEscaped(quote)}</blockquote>`);
      quote = null;
    }
  };

  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index];
    if (FENCE.test(line)) {
      flush();
      const code = [];
      index += 1;
      while (index < lines.length && !FENCE.test(lines[index])) {
        code.push(lines[index]);
        index += 1;
      }
      out.push(`<pre><code>${code.join("\n")}</code></pre>`);
      continue;
    }
    if (!line.trim()) {
      flush();
      continue;
    }
    const quoted = QUOTE.exec(line);
    if (quoted) {
      if (!quote) flush();
      quote = quote || [];
      quote.push(quoted[1]);
      continue;
    }
    if (quote) flush();
    const heading = HEADING.exec(line);
    if (heading) {
      flush();
      const level = heading[1].length;
      out.push(`<h${level}>${inline(heading[2])}</h${level}>`);
      continue;
    }
    if (RULE.test(line)) {
      flush();
      out.push("<hr>");
      continue;
    }
    const bullet = BULLET.exec(line);
    const numbered = bullet ? null : NUMBERED.exec(line);
    if (bullet || numbered) {
      const tag = bullet ? "ul" : "ol";
      if (paragraph.length || (list && list.tag !== tag)) flush();
      if (!list) list = { tag, start: numbered ? Number(numbered[1]) : 1, items: [] };
      list.items.push(inline(bullet ? bullet[1] : /** @type {RegExpExecArray} */ (numbered)[2]));
      continue;
    }
    if (list && /^\s{2,}\S/.test(line)) {
      // A continuation line of the previous list item.
      list.items[list.items.length - 1] += ` ${inline(line.trim())}`;
      continue;
    }
    if (list) flush();
    paragraph.push(line);
  }
  flush();
  return out.join("\n");
}

/**
 * Lines already escaped (a blockquote's body), rendered again as Markdown.
 * @param {string[]} lines
 */
function renderMarkdownEscaped(lines) {
  const unescaped = lines
    .join("\n")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&");
  return renderMarkdown(unescaped);
}

// @ts-check
/**
 * A small, safe Markdown for guidelines: the text is HTML-escaped first, then headings, lists,
 * code, bold, italics and http(s) links are turned into tags this module writes itself, so
 * nothing a project manager types can become markup or script.
 */

/** @param {string} text */
export function escapeHtml(text) {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * Inline markup on one already-escaped line. Code spans are cut out first so their content stays
 * literal.
 * @param {string} line
 */
function inline(line) {
  const codes = /** @type {string[]} */ ([]);
  let out = line.replace(/`([^`]+)`/g, (_, code) => {
    codes.push(`<code>${code}</code>`);
    return `\u0000${codes.length - 1}\u0000`;
  });
  out = out
    .replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')
    .replace(/__(.+?)__/g, '<strong>$1</strong>')
    .replace(/(^|[^*])\*([^*\s][^*]*?)\*/g, '$1<em>$2</em>')
    .replace(/(^|[^\w])_([^_\s][^_]*?)_(?!\w)/g, '$1<em>$2</em>')
    .replace(
      /\[([^\]]+)\]\(((?:https?:\/\/|\/)[^\s)]*)\)/g,
      '<a href="$2" target="_blank" rel="noopener noreferrer">$1</a>',
    );
  return out.replace(/\u0000(\d+)\u0000/g, (_, index) => codes[Number(index)]);
}

/**
 * @param {string} source
 * @returns {string} HTML
 */
export function renderMarkdown(source) {
  const lines = escapeHtml(source || '')
    .replace(/\r\n?/g, '\n')
    .split('\n');
  const html = [];
  /** @type {'ul'|'ol'|null} */
  let list = null;
  /** @type {string[]} */
  let paragraph = [];
  let inCode = false;
  /** @type {string[]} */
  let code = [];

  const closeParagraph = () => {
    if (paragraph.length) html.push(`<p>${inline(paragraph.join(' '))}</p>`);
    paragraph = [];
  };
  const closeList = () => {
    if (list) html.push(`</${list}>`);
    list = null;
  };

  for (const line of lines) {
    if (line.trim().startsWith('```')) {
      if (inCode) {
        html.push(`<pre><code>${code.join('\n')}</code></pre>`);
        code = [];
      } else {
        closeParagraph();
        closeList();
      }
      inCode = !inCode;
      continue;
    }
    if (inCode) {
      code.push(line);
      continue;
    }
    const heading = line.match(/^(#{1,6})\s+(.*)$/);
    const bullet = line.match(/^\s*[-*+]\s+(.*)$/);
    const numbered = line.match(/^\s*\d+[.)]\s+(.*)$/);
    if (heading) {
      closeParagraph();
      closeList();
      // Page headings are h1/h2; guideline headings start one level below the panel's own.
      const level = Math.min(6, heading[1].length + 2);
      html.push(`<h${level}>${inline(heading[2])}</h${level}>`);
    } else if (bullet || numbered) {
      closeParagraph();
      const kind = bullet ? 'ul' : 'ol';
      if (list !== kind) {
        closeList();
        html.push(`<${kind}>`);
        list = kind;
      }
      html.push(`<li>${inline((bullet || numbered || [])[1])}</li>`);
    } else if (!line.trim()) {
      closeParagraph();
      closeList();
    } else {
      closeList();
      paragraph.push(line.trim());
    }
  }
  if (inCode) html.push(`<pre><code>${code.join('\n')}</code></pre>`);
  closeParagraph();
  closeList();
  return html.join('\n');
}

/**
 * A small, forgiving XML reader for the office formats (OOXML, ODF, EPUB package files). It builds
 * a plain tree; element names keep their prefix ("a:t") and helpers match on the local name so
 * namespace prefixes chosen by different writers do not matter. No DTDs, no external entities.
 */
export interface XmlElement {
  name: string;
  /** Name without the namespace prefix. */
  local: string;
  attrs: Record<string, string>;
  children: XmlNode[];
}
export type XmlNode = XmlElement | string;

const NAMED_ENTITIES: Record<string, string> = {
  lt: '<',
  gt: '>',
  amp: '&',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
};

export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z][a-zA-Z0-9]*);/g, (whole, body: string) => {
    if (body[0] === '#') {
      const code =
        body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[body] ?? whole;
  });
}

function localName(name: string): string {
  const i = name.indexOf(':');
  return i === -1 ? name : name.slice(i + 1);
}

const ATTR_RE = /([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

/** Parse an XML document into a tree under a synthetic root element named "#document". */
export function parseXml(text: string): XmlElement {
  const root: XmlElement = { name: '#document', local: '#document', attrs: {}, children: [] };
  const stack: XmlElement[] = [root];
  let pos = 0;
  const n = text.length;
  while (pos < n) {
    const lt = text.indexOf('<', pos);
    const top = stack[stack.length - 1]!;
    if (lt === -1) {
      top.children.push(decodeEntities(text.slice(pos)));
      break;
    }
    if (lt > pos) top.children.push(decodeEntities(text.slice(pos, lt)));
    if (text.startsWith('<!--', lt)) {
      const end = text.indexOf('-->', lt + 4);
      pos = end === -1 ? n : end + 3;
    } else if (text.startsWith('<![CDATA[', lt)) {
      const end = text.indexOf(']]>', lt + 9);
      top.children.push(text.slice(lt + 9, end === -1 ? n : end));
      pos = end === -1 ? n : end + 3;
    } else if (text[lt + 1] === '?' || text[lt + 1] === '!') {
      const end = text.indexOf('>', lt);
      pos = end === -1 ? n : end + 1;
    } else if (text[lt + 1] === '/') {
      const end = text.indexOf('>', lt);
      const name = text.slice(lt + 2, end === -1 ? n : end).trim();
      // Pop to the matching element; tolerate unbalanced markup by ignoring unknown closers.
      for (let i = stack.length - 1; i > 0; i--) {
        if (stack[i]!.name === name) {
          stack.length = i;
          break;
        }
      }
      pos = end === -1 ? n : end + 1;
    } else {
      // Find the tag end, skipping '>' inside quoted attribute values.
      let i = lt + 1;
      let quote = '';
      for (; i < n; i++) {
        const c = text[i];
        if (quote) {
          if (c === quote) quote = '';
        } else if (c === '"' || c === "'") quote = c;
        else if (c === '>') break;
      }
      const raw = text.slice(lt + 1, i);
      const selfClosing = raw.endsWith('/');
      const body = selfClosing ? raw.slice(0, -1) : raw;
      const nameMatch = /^[^\s/>]+/.exec(body);
      const name = nameMatch ? nameMatch[0] : '';
      const attrs: Record<string, string> = {};
      ATTR_RE.lastIndex = name.length;
      for (let m = ATTR_RE.exec(body); m; m = ATTR_RE.exec(body))
        attrs[m[1]!] = decodeEntities(m[2] ?? m[3] ?? '');
      const el: XmlElement = { name, local: localName(name), attrs, children: [] };
      top.children.push(el);
      if (!selfClosing) stack.push(el);
      pos = i + 1;
    }
  }
  return root;
}

export function isElement(node: XmlNode | undefined): node is XmlElement {
  return typeof node === 'object' && node !== null;
}

/** Attribute by local name (ignores the prefix). */
export function attr(el: XmlElement, local: string): string | undefined {
  if (el.attrs[local] !== undefined) return el.attrs[local];
  for (const [k, v] of Object.entries(el.attrs)) if (localName(k) === local) return v;
  return undefined;
}

export function childElements(el: XmlElement, local?: string): XmlElement[] {
  return el.children.filter(
    (c): c is XmlElement => isElement(c) && (local === undefined || c.local === local),
  );
}

/** First descendant (depth-first) with this local name. */
export function findFirst(el: XmlElement, local: string): XmlElement | undefined {
  for (const c of el.children) {
    if (!isElement(c)) continue;
    if (c.local === local) return c;
    const deeper = findFirst(c, local);
    if (deeper) return deeper;
  }
  return undefined;
}

/** All descendants with this local name, in document order (does not descend into matches). */
export function findAll(el: XmlElement, local: string, out: XmlElement[] = []): XmlElement[] {
  for (const c of el.children) {
    if (!isElement(c)) continue;
    if (c.local === local) out.push(c);
    else findAll(c, local, out);
  }
  return out;
}

/** Concatenated text of an element's descendants. */
export function textOf(el: XmlElement): string {
  let out = '';
  for (const c of el.children) out += typeof c === 'string' ? c : textOf(c);
  return out;
}

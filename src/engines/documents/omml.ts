/**
 * Office Math (OMML, the `m:` elements Word writes for equations) → LaTeX. mammoth drops OMML,
 * so DOCX conversion replaces each `m:oMath` / `m:oMathPara` with the LaTeX this produces.
 * Covers what Word's equation editor makes: runs, fractions, scripts, radicals, n-ary operators,
 * delimiters, matrices, equation arrays, functions, accents, bars, limits, group characters, boxes.
 */
import { attr, childElements, isElement, textOf, type XmlElement } from './xml.js';

const SYMBOLS: Record<string, string> = {
  α: '\\alpha', β: '\\beta', γ: '\\gamma', δ: '\\delta', ε: '\\epsilon', ϵ: '\\epsilon', ζ: '\\zeta',
  η: '\\eta', θ: '\\theta', ϑ: '\\vartheta', ι: '\\iota', κ: '\\kappa', λ: '\\lambda', μ: '\\mu',
  ν: '\\nu', ξ: '\\xi', π: '\\pi', ρ: '\\rho', σ: '\\sigma', ς: '\\varsigma', τ: '\\tau',
  υ: '\\upsilon', φ: '\\phi', ϕ: '\\phi', χ: '\\chi', ψ: '\\psi', ω: '\\omega', Γ: '\\Gamma',
  Δ: '\\Delta', Θ: '\\Theta', Λ: '\\Lambda', Ξ: '\\Xi', Π: '\\Pi', Σ: '\\Sigma', Υ: '\\Upsilon',
  Φ: '\\Phi', Ψ: '\\Psi', Ω: '\\Omega', '∞': '\\infty', '±': '\\pm', '∓': '\\mp', '×': '\\times',
  '÷': '\\div', '·': '\\cdot', '⋅': '\\cdot', '∙': '\\cdot', '≤': '\\leq', '≥': '\\geq', '≠': '\\neq',
  '≈': '\\approx', '≡': '\\equiv', '∼': '\\sim', '≅': '\\cong', '∝': '\\propto', '→': '\\rightarrow',
  '←': '\\leftarrow', '↔': '\\leftrightarrow', '⇒': '\\Rightarrow', '⇐': '\\Leftarrow',
  '⇔': '\\Leftrightarrow', '∈': '\\in', '∉': '\\notin', '⊂': '\\subset', '⊆': '\\subseteq',
  '⊃': '\\supset', '⊇': '\\supseteq', '∪': '\\cup', '∩': '\\cap', '∅': '\\emptyset', '∀': '\\forall',
  '∃': '\\exists', '¬': '\\neg', '∧': '\\wedge', '∨': '\\vee', '∂': '\\partial', '∇': '\\nabla',
  '…': '\\ldots', '⋯': '\\cdots', '°': '^{\\circ}', '′': "'", '″': "''", '−': '-', '∗': '*',
  '∘': '\\circ', '⊕': '\\oplus', '⊗': '\\otimes', '⊥': '\\perp', '∥': '\\parallel', '∠': '\\angle',
  ℝ: '\\mathbb{R}', ℕ: '\\mathbb{N}', ℤ: '\\mathbb{Z}', ℚ: '\\mathbb{Q}', ℂ: '\\mathbb{C}',
  ℏ: '\\hbar', ℓ: '\\ell', '%': '\\%', '#': '\\#', '&': '\\&', $: '\\$', '{': '\\{', '}': '\\}',
  '\u2061': '', '\u2062': '', '\u2063': '',
};

const NARY: Record<string, string> = {
  '∑': '\\sum', '∏': '\\prod', '∐': '\\coprod', '∫': '\\int', '∬': '\\iint', '∭': '\\iiint',
  '∮': '\\oint', '⋃': '\\bigcup', '⋂': '\\bigcap', '⋁': '\\bigvee', '⋀': '\\bigwedge',
};

const ACCENTS: Record<string, string> = {
  '\u0302': '\\hat', '\u0303': '\\tilde', '\u0304': '\\bar', '\u0305': '\\overline', '\u0307': '\\dot',
  '\u0308': '\\ddot', '\u20d7': '\\vec', '\u0301': '\\acute', '\u0300': '\\grave', '\u0306': '\\breve',
  '\u030c': '\\check', '^': '\\hat', '~': '\\tilde', '¯': '\\bar',
};

const DELIMITERS: Record<string, string> = {
  '{': '\\{', '}': '\\}', '⟨': '\\langle', '⟩': '\\rangle', '〈': '\\langle', '〉': '\\rangle',
  '‖': '\\|', '⌊': '\\lfloor', '⌋': '\\rfloor', '⌈': '\\lceil', '⌉': '\\rceil', '': '.',
};

const FUNCTIONS = new Set([
  'sin', 'cos', 'tan', 'cot', 'sec', 'csc', 'arcsin', 'arccos', 'arctan', 'sinh', 'cosh', 'tanh',
  'coth', 'log', 'ln', 'lg', 'exp', 'lim', 'max', 'min', 'sup', 'inf', 'det', 'gcd', 'arg', 'deg',
  'dim', 'ker', 'Pr', 'liminf', 'limsup',
]);

/** A property value such as <m:chr m:val="∑"/> inside an element's *Pr child. */
function prop(el: XmlElement, prName: string, name: string): string | undefined {
  const pr = childElements(el, prName)[0];
  const p = pr ? childElements(pr, name)[0] : undefined;
  return p ? (attr(p, 'val') ?? '') : undefined;
}

function on(value: string | undefined): boolean {
  return value !== undefined && value !== '0' && value !== 'off' && value !== 'false';
}

function part(el: XmlElement, name: string): string {
  const child = childElements(el, name)[0];
  return child ? mathChildren(child) : '';
}

/** Braces unless the LaTeX is already one atom (a character, a number, a command). */
function group(latex: string): string {
  const t = latex.trim();
  return /^(?:.|\d+|\\[a-zA-Z]+)$/u.test(t) ? t : `{${t}}`;
}

function runText(text: string): string {
  let out = '';
  for (const ch of text) {
    const sym = SYMBOLS[ch];
    out += sym === undefined ? (ch === '\\' ? '\\backslash ' : ch) : /^\\[a-zA-Z]+$/.test(sym) ? `${sym} ` : sym;
  }
  return out;
}

function delimiter(ch: string): string {
  return DELIMITERS[ch] ?? ch;
}

function convertElement(el: XmlElement): string {
  switch (el.local) {
    case 'r': {
      let text = '';
      for (const c of childElements(el)) if (c.local === 't') text += textOf(c);
      return runText(text);
    }
    case 'f': {
      const num = part(el, 'num');
      const den = part(el, 'den');
      const type = prop(el, 'fPr', 'type');
      if (type === 'lin') return `${group(num)}/${group(den)}`;
      if (type === 'noBar') return `\\binom{${num}}{${den}}`;
      return `\\frac{${num}}{${den}}`;
    }
    case 'sSub':
      return `${group(part(el, 'e'))}_${group(part(el, 'sub'))}`;
    case 'sSup':
      return `${group(part(el, 'e'))}^${group(part(el, 'sup'))}`;
    case 'sSubSup':
      return `${group(part(el, 'e'))}_${group(part(el, 'sub'))}^${group(part(el, 'sup'))}`;
    case 'sPre':
      return `{}_${group(part(el, 'sub'))}^${group(part(el, 'sup'))}${group(part(el, 'e'))}`;
    case 'rad': {
      const deg = part(el, 'deg');
      const e = part(el, 'e');
      return on(prop(el, 'radPr', 'degHide')) || !deg.trim() ? `\\sqrt{${e}}` : `\\sqrt[${deg}]{${e}}`;
    }
    case 'nary': {
      const chr = prop(el, 'naryPr', 'chr') || '∫';
      let op = NARY[chr] ?? runText(chr).trim();
      const sub = part(el, 'sub');
      const sup = part(el, 'sup');
      if (!on(prop(el, 'naryPr', 'subHide')) && sub) op += `_${group(sub)}`;
      if (!on(prop(el, 'naryPr', 'supHide')) && sup) op += `^${group(sup)}`;
      return `${op} ${part(el, 'e')}`;
    }
    case 'd': {
      const beg = prop(el, 'dPr', 'begChr') ?? '(';
      const end = prop(el, 'dPr', 'endChr') ?? ')';
      const sep = prop(el, 'dPr', 'sepChr') ?? '|';
      const items = childElements(el, 'e').map(mathChildren);
      return `\\left${delimiter(beg)} ${items.join(` ${delimiter(sep)} `)} \\right${delimiter(end)}`;
    }
    case 'm': {
      const rows = childElements(el, 'mr').map((mr) => childElements(mr, 'e').map(mathChildren).join(' & '));
      return `\\begin{matrix} ${rows.join(' \\\\ ')} \\end{matrix}`;
    }
    case 'eqArr': {
      const rows = childElements(el, 'e').map(mathChildren);
      return `\\begin{aligned} ${rows.join(' \\\\ ')} \\end{aligned}`;
    }
    case 'func': {
      const name = part(el, 'fName').trim();
      const fn = FUNCTIONS.has(name) ? `\\${name}` : name.startsWith('\\') ? name : `\\operatorname{${name}}`;
      return `${fn} ${part(el, 'e')}`;
    }
    case 'acc': {
      const chr = prop(el, 'accPr', 'chr') ?? '\u0302';
      return `${ACCENTS[chr] ?? '\\hat'}{${part(el, 'e')}}`;
    }
    case 'bar':
      return prop(el, 'barPr', 'pos') === 'top' ? `\\overline{${part(el, 'e')}}` : `\\underline{${part(el, 'e')}}`;
    case 'limLow': {
      const base = part(el, 'e').trim();
      const lim = part(el, 'lim');
      return /^\\(lim|max|min|sup|inf|liminf|limsup)$/.test(base) || FUNCTIONS.has(base)
        ? `${base.startsWith('\\') ? base : `\\${base}`}_{${lim}}`
        : `\\underset{${lim}}{${base}}`;
    }
    case 'limUpp':
      return `\\overset{${part(el, 'lim')}}{${part(el, 'e')}}`;
    case 'groupChr': {
      const chr = prop(el, 'groupChrPr', 'chr') ?? '⏟';
      const top = prop(el, 'groupChrPr', 'pos') === 'top' || chr === '⏞';
      if (chr === '⏟' || chr === '⏞') return `\\${top ? 'overbrace' : 'underbrace'}{${part(el, 'e')}}`;
      return `\\${top ? 'overset' : 'underset'}{${runText(chr).trim()}}{${part(el, 'e')}}`;
    }
    case 'borderBox':
      return `\\boxed{${part(el, 'e')}}`;
    case 'box':
    case 'phant':
      return part(el, 'e');
    case 'e':
    case 'num':
    case 'den':
    case 'sub':
    case 'sup':
    case 'deg':
    case 'lim':
    case 'fName':
    case 'oMath':
      return mathChildren(el);
    default:
      // Properties (*Pr), control properties, bookmarks: no content. Anything else: its text.
      if (el.local.endsWith('Pr') || el.local === 'bookmarkStart' || el.local === 'bookmarkEnd') return '';
      if (el.local === 't') return runText(textOf(el));
      return mathChildren(el);
  }
}

function mathChildren(el: XmlElement): string {
  let out = '';
  for (const c of el.children) if (isElement(c)) out += convertElement(c);
  return out;
}

function tidy(latex: string): string {
  return latex
    .replace(/\^\{\^\{\\circ\}\}/g, '^{\\circ}')
    .replace(/\s+/g, ' ')
    .replace(/ ([}_^])/g, '$1')
    .replace(/\{ /g, '{')
    .trim();
}

/** LaTeX for one m:oMath element. */
export function ommlToLatex(oMath: XmlElement): string {
  return tidy(mathChildren(oMath));
}

/** LaTeX for each equation of an m:oMathPara (display math), one string per m:oMath. */
export function ommlParagraphToLatex(para: XmlElement): string[] {
  const maths: XmlElement[] = [];
  const walk = (el: XmlElement) => {
    for (const c of childElements(el)) {
      if (c.local === 'oMath') maths.push(c);
      else if (!c.local.endsWith('Pr')) walk(c);
    }
  };
  walk(para);
  return maths.map(ommlToLatex).filter(Boolean);
}

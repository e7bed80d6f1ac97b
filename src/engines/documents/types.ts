/** Shared types of the document converter. */
export type DocumentFormat =
  | 'pdf'
  | 'docx'
  | 'pptx'
  | 'xlsx'
  | 'odt'
  | 'epub'
  | 'rtf'
  | 'html'
  | 'markdown'
  | 'text'
  | 'csv'
  | 'tsv'
  | 'json';

export const DOCUMENT_FORMATS: readonly DocumentFormat[] = [
  'pdf',
  'docx',
  'pptx',
  'xlsx',
  'odt',
  'epub',
  'rtf',
  'html',
  'markdown',
  'text',
  'csv',
  'tsv',
  'json',
];

export type PdfEngineChoice = 'auto' | 'pdfjs' | 'pdftotext';

export interface ConvertLimits {
  maxUncompressedBytes: number;
  maxZipEntries: number;
  documentTimeoutMs: number;
  maxCsvRows: number;
  maxJsonChars: number;
  /** Heap cap of the worker that parses one document (default 1024 MB). */
  documentMemoryMb?: number | undefined;
  /** Workers that parse page ranges of one long PDF at the same time (default 2). */
  documentWorkers?: number | undefined;
}

export interface ConvertOptions {
  /** Page selection for paged formats (PDF): "1-5,9", "3-", "-2". */
  pages?: string | undefined;
  format?: 'markdown' | 'text' | undefined;
  pdfEngine?: PdfEngineChoice | undefined;
  limits: ConvertLimits;
  signal?: AbortSignal | undefined;
  /** Progress of a paged document: pages done out of pages known so far. */
  onProgress?: ((done: number, total: number) => void) | undefined;
}

export interface ConvertInput {
  bytes: Buffer | Uint8Array;
  name: string;
}

export interface ConvertMetadata {
  format: DocumentFormat;
  /** Pages (PDF), slides (PPTX), sheets (XLSX) or chapters (EPUB) in the document. */
  pages?: number;
  /** How many of them were converted (a page range picks fewer). */
  pagesConverted?: number;
  engine: string;
  [key: string]: unknown;
}

export interface ConvertResult {
  markdown: string;
  title?: string;
  pages?: number;
  metadata: ConvertMetadata;
  warnings: string[];
}

/** What a single format converter returns before the common post-processing. */
export interface FormatResult {
  markdown: string;
  title?: string | undefined;
  pages?: number | undefined;
  pagesConverted?: number | undefined;
  engine: string;
  warnings: string[];
  extra?: Record<string, unknown>;
}

export interface FormatContext {
  name: string;
  options: ConvertOptions;
  signal: AbortSignal;
}

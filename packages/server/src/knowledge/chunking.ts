/**
 * Splits a markdown body into search chunks: whole paragraphs, packed up to a target size, so a
 * chunk is a passage a model can quote and cite. A paragraph longer than the limit is split at
 * sentence ends. Headings stay with the paragraph that follows them.
 */
export const CHUNK_TARGET_CHARS = 800;

export function chunkBody(body: string, target = CHUNK_TARGET_CHARS): string[] {
  const paragraphs = body
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .flatMap((p) => (p.length > target ? splitSentences(p, target) : [p]));
  const chunks: string[] = [];
  let current = '';
  for (const paragraph of paragraphs) {
    const heading = /^#{1,6}\s/.test(current) && !current.includes('\n');
    if (current && !heading && current.length + paragraph.length + 2 > target) {
      chunks.push(current);
      current = paragraph;
    } else {
      current = current ? `${current}\n\n${paragraph}` : paragraph;
    }
  }
  if (current) chunks.push(current);
  return chunks;
}

function splitSentences(paragraph: string, target: number): string[] {
  const parts: string[] = [];
  let current = '';
  for (const sentence of sentencesOf(paragraph)) {
    if (current && current.length + sentence.length + 1 > target) {
      parts.push(current);
      current = sentence;
    } else {
      current = current ? `${current} ${sentence}` : sentence;
    }
  }
  if (current) parts.push(current);
  return parts;
}

/** Sentences of a text: split after . ! ? (or a line break), keeping the punctuation. */
export function sentencesOf(text: string): string[] {
  return (text.match(/[^.!?\n]+(?:[.!?]+(?=\s|$)|$)/g) ?? []).map((s) => s.trim()).filter((s) => s.length > 0);
}

/** A node's path from its parent's path and its own title; '/' in a title cannot nest paths. */
export function childPath(parentPath: string | null, title: string): string {
  return `${parentPath ?? ''}/${title.replaceAll('/', '∕').trim()}`;
}

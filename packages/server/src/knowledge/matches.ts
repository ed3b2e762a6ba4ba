import type { SearchQuery } from '../store/search.js';
import { tokenize } from '../store/search.js';
import { sentencesOf } from './chunking.js';

/** How many matching sentences a node hit shows: enough to judge it, small enough for a model's context. */
export const MAX_MATCHES_PER_NODE = 5;

/**
 * Lower-cased words with diacritics removed, as the full-text index sees them (FTS5's
 * `remove_diacritics`), so a sentence is shown exactly when the index would match it.
 */
function words(text: string): string[] {
  return tokenize(text.normalize('NFD').replace(/\p{M}+/gu, ''));
}

/** True when `needle` occurs as consecutive words of `haystack`. */
function containsRun(haystack: readonly string[], needle: readonly string[]): boolean {
  if (needle.length === 0) return false;
  for (let start = 0; start + needle.length <= haystack.length; start++) {
    if (needle.every((word, i) => haystack[start + i] === word)) return true;
  }
  return false;
}

/**
 * The sentences of a node that contain the query: the title first when it matches, then the
 * body's sentences in order, at most `max`. A sentence matches when it contains any term, where
 * a phrase term must appear as consecutive words (so "48 hours" does not match "148 hours" or
 * "hours: 48"). Comparing words rather than raw substrings mirrors what the index matched, so
 * markdown emphasis or punctuation inside a phrase does not hide a match.
 */
export function matchingSentences(title: string, body: string, query: SearchQuery, max = MAX_MATCHES_PER_NODE): string[] {
  const terms = query.terms.map((term) => words(term.text)).filter((term) => term.length > 0);
  const matches = (text: string) => {
    const textWords = words(text);
    return terms.some((term) => containsRun(textWords, term));
  };
  const found: string[] = [];
  if (matches(title)) found.push(title);
  for (const sentence of sentencesOf(body)) {
    if (found.length >= max) break;
    if (matches(sentence)) found.push(sentence);
  }
  return found.slice(0, max);
}

/** The whole query as one phrase term, for `match: "phrase"`. Empty when it has no words. */
export function phraseQuery(text: string): SearchQuery {
  const phrase = tokenize(text);
  if (phrase.length === 0) return { terms: [] };
  return { terms: [{ text: phrase.join(' '), phrase: phrase.length > 1 }] };
}

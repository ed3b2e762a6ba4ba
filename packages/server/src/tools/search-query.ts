import { z } from 'zod';
import { invalidArgument } from '../core/errors.js';
import { parseSearchQuery, type SearchQuery } from '../store/search.js';

/** A search tool's `query` argument. */
export function searchQuerySchema(example: string) {
  return z.string().trim().min(1).max(500).describe(example);
}

/** The parsed query of a search tool, refused when it has no word to look for. */
export function searchTerms(text: string, parse: (text: string) => SearchQuery = parseSearchQuery): SearchQuery {
  const query = parse(text);
  if (query.terms.length === 0) throw invalidArgument('query has no words to search for: use letters or digits.');
  return query;
}

import { describe, expect, it } from 'vitest';
import { childPath, chunkBody, sentencesOf } from '../src/knowledge/chunking.js';

describe('chunkBody', () => {
  it('packs paragraphs up to the target and keeps headings with their paragraph', () => {
    const body = ['# Refunds', 'A'.repeat(300), 'B'.repeat(300), 'C'.repeat(300)].join('\n\n');
    const chunks = chunkBody(body, 700);
    expect(chunks).toHaveLength(2);
    expect(chunks[0]).toMatch(/^# Refunds\n\nA+\n\nB+$/);
    expect(chunks[1]).toBe('C'.repeat(300));
  });

  it('splits an overlong paragraph at sentence ends', () => {
    const sentence = 'Guests may cancel up to 48 hours before arrival. ';
    const chunks = chunkBody(sentence.repeat(40).trim(), 200);
    expect(chunks.length).toBeGreaterThan(5);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(200);
    expect(chunks.join(' ')).toBe(sentence.repeat(40).trim());
  });

  it('returns nothing for an empty body', () => {
    expect(chunkBody('  \n\n ')).toEqual([]);
  });
});

describe('sentencesOf and childPath', () => {
  it('keeps punctuation and splits at line breaks', () => {
    expect(sentencesOf('One. Two!\nThree? Four')).toEqual(['One.', 'Two!', 'Three?', 'Four']);
  });
  it('builds paths and keeps a slash in a title from nesting', () => {
    expect(childPath(null, 'Policies')).toBe('/Policies');
    expect(childPath('/Policies', 'Check-in/out')).toBe('/Policies/Check-in∕out');
  });
});

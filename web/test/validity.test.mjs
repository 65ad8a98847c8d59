// validity.js: which page string names a failed constraint, and dates kept left to
// right inside right-to-left messages.
import test from 'node:test';
import assert from 'node:assert/strict';
import { problemKey, firstInvalid, isolateLtr } from '../static/validity.js';

const field = (validity, { date = false, willValidate = true } = {}) => ({
  validity: { valid: Object.values(validity).every((v) => !v), ...validity },
  classList: { contains: (c) => date && c === 'date' },
  willValidate,
});

test('each failed constraint is named by a page string, a valid field by none', () => {
  assert.equal(problemKey(field({})), null);
  assert.equal(problemKey(field({ badInput: true })), 'err_number');
  assert.equal(problemKey(field({ rangeOverflow: true })), 'err_number');
  assert.equal(problemKey(field({ stepMismatch: true })), 'err_number');
  assert.equal(problemKey(field({ patternMismatch: true }, { date: true })), 'err_date');
  assert.equal(problemKey(field({ patternMismatch: true })), 'err_field');
  assert.equal(problemKey(field({ tooLong: true })), 'err_too_long');
  assert.equal(problemKey(field({ typeMismatch: true })), 'err_field');
});

test('the first invalid field that takes part in validation is the one reported', () => {
  const skipped = field({ badInput: true }, { willValidate: false });
  const ok = field({});
  const date = field({ patternMismatch: true }, { date: true });
  const later = field({ badInput: true });
  const r = firstInvalid({ elements: [skipped, ok, date, later] });
  assert.equal(r.el, date);
  assert.equal(r.key, 'err_date');
  assert.equal(firstInvalid({ elements: [ok] }), null);
});

test('dates and numbers are isolated left to right, the words are untouched', () => {
  assert.equal(
    isolateLtr('يُرجى كتابة التاريخ هكذا: 2024 أو 2024-03 أو 2024-03-15.'),
    'يُرجى كتابة التاريخ هكذا: \u20662024\u2069 أو \u20662024-03\u2069 أو \u20662024-03-15\u2069.',
  );
  assert.equal(isolateLtr('no digits'), 'no digits');
  assert.equal(isolateLtr('at most 32.'), 'at most \u206632\u2069.');
});

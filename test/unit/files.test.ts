import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError } from '@chat4all/shared/errors/domain.js';
import {
  checkCompletedParts,
  checksumBase64,
  contentDisposition,
  isAllowedContentType,
  MAX_FILE_BYTES,
  MIN_PART_BYTES,
  normalizeChecksum,
  parseContentType,
  planUpload,
  requireAllowedContentType,
  sanitizeFilename,
  SINGLE_PUT_MAX_BYTES,
} from '@chat4all/shared/files/policy.js';
import { DOMAIN_ERROR_STATUS } from '@chat4all/shared/middleware/http-errors.js';

const MiB = 1024 * 1024;

const status = (fn: () => unknown): number => {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof DomainError, String(error));
    return DOMAIN_ERROR_STATUS[error.kind];
  }
  return 200;
};

describe('file names', () => {
  it('keeps ordinary names, including non-ASCII ones', () => {
    assert.equal(sanitizeFilename('report 2026.pdf'), 'report 2026.pdf');
    assert.equal(sanitizeFilename('résumé – final.docx'), 'résumé – final.docx');
    assert.equal(sanitizeFilename('写真.jpg'), '写真.jpg');
  });

  it('drops directories, traversal and leading dots', () => {
    assert.equal(sanitizeFilename('../../etc/passwd'), 'passwd');
    assert.equal(sanitizeFilename('C:\\Users\\me\\cat.png'), 'cat.png');
    assert.equal(sanitizeFilename('.htaccess'), 'htaccess');
    assert.equal(sanitizeFilename('..'), 'file');
    assert.equal(sanitizeFilename('name. . '), 'name');
  });

  it('replaces control, bidi-override and reserved characters', () => {
    assert.equal(sanitizeFilename('a\u0000b\nc.txt'), 'a_b c.txt');
    assert.equal(sanitizeFilename('invoice\u202Efdp.exe'), 'invoice_fdp.exe');
    assert.equal(sanitizeFilename('a<b>c:"d"|e?*.png'), 'a_b_c__d__e__.png');
    assert.equal(sanitizeFilename('two   spaces\tand tab.txt'), 'two spaces and tab.txt');
  });

  it('never yields a Windows device name or an empty name', () => {
    assert.equal(sanitizeFilename('CON'), '_CON');
    assert.equal(sanitizeFilename('nul.txt'), '_nul.txt');
    assert.equal(sanitizeFilename('   '), 'file');
    assert.equal(sanitizeFilename('???'), 'file');
  });

  it('truncates to 255 UTF-8 bytes, keeping the extension and whole characters', () => {
    const long = sanitizeFilename(`${'é'.repeat(300)}.jpeg`);
    assert.ok(Buffer.byteLength(long, 'utf8') <= 255);
    assert.ok(long.endsWith('é.jpeg'));
    assert.ok(!long.includes('\uFFFD'));
  });

  it('offers an ASCII fallback and the exact UTF-8 name in Content-Disposition', () => {
    assert.equal(
      contentDisposition('résumé (1).pdf'),
      `attachment; filename="r_sum_ (1).pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%281%29.pdf`,
    );
    assert.equal(
      contentDisposition('50% "off".txt'),
      `attachment; filename="50_ _off_.txt"; filename*=UTF-8''50%25%20%22off%22.txt`,
    );
  });
});

describe('upload planning', () => {
  const plan = (size: number, options: Partial<Parameters<typeof planUpload>[1]> = {}) =>
    planUpload(size, { partSizeBytes: 32 * MiB, ...options });

  it('is one PUT up to 100 MiB', () => {
    assert.deepEqual(plan(1), { kind: 'single' });
    assert.deepEqual(plan(SINGLE_PUT_MAX_BYTES), { kind: 'single' });
  });

  it('is multipart above, with exact part sizes that add up to the file', () => {
    const result = plan(SINGLE_PUT_MAX_BYTES + 1);
    assert.equal(result.kind, 'multipart');
    if (result.kind !== 'multipart') return;
    assert.equal(result.partSize, 32 * MiB);
    assert.deepEqual(
      result.parts.map((part) => part.size_bytes),
      [32 * MiB, 32 * MiB, 32 * MiB, 4 * MiB + 1],
    );
    assert.deepEqual(
      result.parts.map((part) => part.part_number),
      [1, 2, 3, 4],
    );
  });

  it('covers 2 GiB and honours a smaller threshold and part size (never below 5 MiB)', () => {
    const max = plan(MAX_FILE_BYTES);
    assert.equal(max.kind === 'multipart' && max.parts.length, 64);
    const twenty = plan(20 * MiB, { singlePutMaxBytes: 0, partSizeBytes: 5 * MiB });
    assert.deepEqual(twenty.kind === 'multipart' && twenty.parts.map((part) => part.size_bytes), [
      5 * MiB,
      5 * MiB,
      5 * MiB,
      5 * MiB,
    ]);
    const tiny = plan(12 * MiB, { singlePutMaxBytes: 0, partSizeBytes: 1 });
    assert.equal(tiny.kind === 'multipart' && tiny.partSize, MIN_PART_BYTES);
  });

  it('refuses more than 2 GiB with 413 and a size that is not a positive integer with 400', () => {
    assert.equal(
      status(() => plan(MAX_FILE_BYTES + 1)),
      413,
    );
    assert.equal(
      status(() => plan(3 * 1024 * MiB)),
      413,
    );
    for (const bad of [0, -1, 1.5, Number.NaN, '10' as unknown as number])
      assert.equal(
        status(() => plan(bad)),
        400,
      );
  });
});

describe('content types', () => {
  const allowlist = ['image/*', 'application/pdf', 'text/plain'];

  it('parses media types, lower-casing the essence and keeping parameters', () => {
    assert.deepEqual(parseContentType('Image/PNG'), { essence: 'image/png', value: 'image/png' });
    assert.deepEqual(parseContentType('text/plain;Charset=UTF-8'), {
      essence: 'text/plain',
      value: 'text/plain; charset=UTF-8',
    });
    for (const bad of ['', 'png', 'image/', '/png', 'image/png\r\nX-Evil: 1', 'image/*', 'a/b; c'])
      assert.equal(
        status(() => parseContentType(bad)),
        400,
        bad,
      );
  });

  it('admits exact types and type/* wildcards only', () => {
    assert.ok(isAllowedContentType('image/png', allowlist));
    assert.ok(isAllowedContentType('application/pdf', allowlist));
    assert.ok(!isAllowedContentType('application/pdfx', allowlist));
    assert.ok(!isAllowedContentType('text/html', allowlist));
    assert.ok(!isAllowedContentType('imagex/png', allowlist));
    assert.ok(isAllowedContentType('text/html', ['*/*']));
    assert.equal(
      status(() => requireAllowedContentType('text/html', allowlist)),
      415,
    );
    assert.equal(
      status(() => requireAllowedContentType('text/plain; charset=utf-8', allowlist)),
      200,
    );
  });
});

describe('checksums and completed parts', () => {
  const hex = 'a'.repeat(64);

  it('accepts SHA-256 as hex or base64 and keeps lower-case hex', () => {
    assert.equal(normalizeChecksum(hex.toUpperCase()), hex);
    assert.equal(normalizeChecksum(checksumBase64(hex)), hex);
    for (const bad of ['abc', 'g'.repeat(64), 'AAAA'])
      assert.equal(
        status(() => normalizeChecksum(bad)),
        400,
      );
  });

  it('wants exactly the planned parts, in order, with ETags', () => {
    assert.deepEqual(
      checkCompletedParts(
        [
          { part_number: 1, etag: '"abc"' },
          { part_number: 2, etag: 'def' },
        ],
        2,
      ),
      [
        { PartNumber: 1, ETag: '"abc"' },
        { PartNumber: 2, ETag: '"def"' },
      ],
    );
    for (const bad of [
      undefined,
      [],
      [{ part_number: 1, etag: 'a' }],
      [
        { part_number: 2, etag: 'a' },
        { part_number: 1, etag: 'b' },
      ],
      [
        { part_number: 1, etag: 'a' },
        { part_number: 2, etag: '' },
      ],
    ])
      assert.equal(
        status(() => checkCompletedParts(bad, 2)),
        400,
      );
  });
});

/* png_stats.c: size, colour count and colour matches of a screenshot, for the landing-page test. */
/*
 * Usage: png-stats FILE.png [RRGGBB...]
 * Prints "width W", "height H", "colours N" (distinct RGB values),
 * "background RRGGBB" (the most frequent colour), "foreground_permille N"
 * (pixels not of that colour), and "match RRGGBB N" per argument (pixels
 * within 8 per channel of it). Reads 8-bit RGB/RGBA non-interlaced PNGs, what
 * Chromium writes; anything else exits 2. Built by tests/e2e/landing_page.sh
 * (not by the Makefile: it is a test tool with its own main()).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct image {
	uint32_t w, h, bpp;      /* bytes per pixel: 3 or 4 */
	uint8_t *px;             /* h rows of w * bpp bytes, unfiltered */
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static void __attribute__((noreturn)) die(const char *what)
{
	fprintf(stderr, "png-stats: %s\n", what);
	exit(2);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n;

	if (!f)
		die("cannot open the file");
	for (*len = 0;; *len += n) {
		if (cap - *len < 65536 && !(buf = realloc(buf, cap += 1 << 20)))
			die("out of memory");
		if (!(n = fread(buf + *len, 1, cap - *len, f)))
			break;
	}
	fclose(f);
	return buf;
}

static int paeth(int a, int b, int c)
{
	int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);

	return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* raw holds h rows of a filter byte and w * bpp bytes (PNG spec, 9). */
static void unfilter(struct image *im, const uint8_t *raw)
{
	size_t stride = (size_t)im->w * im->bpp;

	for (uint32_t y = 0; y < im->h; y++) {
		const uint8_t *in = raw + y * (stride + 1) + 1;
		uint8_t *row = im->px + y * stride, *up = y ? row - stride : NULL;

		for (size_t x = 0; x < stride; x++) {
			int a = x >= im->bpp ? row[x - im->bpp] : 0, b = up ? up[x] : 0;
			int c = up && x >= im->bpp ? up[x - im->bpp] : 0;
			int pred[] = { 0, a, b, (a + b) / 2, paeth(a, b, c) };

			if (in[-1] > 4)
				die("bad filter type");
			row[x] = (uint8_t)(in[x] + pred[in[-1]]);
		}
	}
}

static void decode(struct image *im, const uint8_t *buf, size_t len)
{
	uint8_t *idat = NULL, *raw;
	size_t nidat = 0, pos = 8;
	uLongf rawlen;

	if (len < 8 || memcmp(buf, "\x89PNG\r\n\x1a\n", 8))
		die("not a PNG");
	while (pos + 12 <= len) {
		uint32_t n = be32(buf + pos);
		const uint8_t *type = buf + pos + 4, *data = buf + pos + 8;

		if (n > len - pos - 12)
			die("truncated chunk");
		if (!memcmp(type, "IHDR", 4)) {
			im->w = be32(data);
			im->h = be32(data + 4);
			im->bpp = data[9] == 6 ? 4 : data[9] == 2 ? 3 : 0;
			if (data[8] != 8 || !im->bpp || data[12] || !im->w || !im->h)
				die("only 8-bit RGB/RGBA, non-interlaced");
		} else if (!memcmp(type, "IDAT", 4)) {
			if (!(idat = realloc(idat, nidat + n)))
				die("out of memory");
			memcpy(idat + nidat, data, n);
			nidat += n;
		}
		pos += 12 + (size_t)n;
	}
	rawlen = (uLongf)im->h * (1 + (uLongf)im->w * im->bpp);
	raw = malloc(rawlen);
	im->px = malloc((size_t)im->h * im->w * im->bpp);
	if (!im->bpp || !raw || !im->px || uncompress(raw, &rawlen, idat, nidat) != Z_OK)
		die("cannot inflate the image data");
	unfilter(im, raw);
	free(raw);
	free(idat);
}

static uint32_t rgb(const struct image *im, size_t i)
{
	const uint8_t *p = im->px + i * im->bpp;

	return (uint32_t)p[0] << 16 | p[1] << 8 | p[2];
}

static int near(uint32_t a, uint32_t b)
{
	for (int s = 0; s < 24; s += 8)
		if (abs((int)(a >> s & 0xff) - (int)(b >> s & 0xff)) > 8)
			return 0;
	return 1;
}

int main(int argc, char **argv)
{
	struct image im = { 0 };
	size_t len, n, distinct = 0, best = 0;
	uint8_t *buf;
	uint32_t *count = calloc(1u << 24, sizeof(*count)), bg = 0;

	if (argc < 2 || !count)
		die("usage: png-stats FILE.png [RRGGBB...]");
	buf = slurp(argv[1], &len);
	decode(&im, buf, len);
	n = (size_t)im.w * im.h;
	for (size_t i = 0; i < n; i++)
		count[rgb(&im, i)]++;
	for (uint32_t c = 0; c < 1u << 24; c++) {
		distinct += count[c] > 0;
		if (count[c] > best)
			best = count[c], bg = c;
	}
	printf("width %u\nheight %u\ncolours %zu\nbackground %06x\nforeground_permille %zu\n",
	       im.w, im.h, distinct, bg, (n - best) * 1000 / n);
	for (int a = 2; a < argc; a++) {
		uint32_t want = (uint32_t)strtoul(argv[a], NULL, 16);
		size_t m = 0;

		for (size_t i = 0; i < n; i++)
			m += near(rgb(&im, i), want);
		printf("match %06x %zu\n", want, m);
	}
	return 0;
}

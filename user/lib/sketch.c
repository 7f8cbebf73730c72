/* sketch.c: HyperLogLog registers in user space: read, raise, merge, estimate. */
#include <math.h>
#include <string.h>
#include "sketch.h"

void sketch_clear(struct dn_sketch *s)
{
	memset(s, 0, sizeof(*s));
}

bool sketch_empty(const struct dn_sketch *s)
{
	for (unsigned int i = 0; i < DN_SKETCH_WORDS; i++)
		if (s->w[i])
			return false;
	return true;
}

void sketch_raise(struct dn_sketch *s, unsigned int reg, unsigned int rank)
{
	unsigned int shift = 8 * (reg % 4);
	uint32_t *w = &s->w[(reg / 4) % DN_SKETCH_WORDS];

	if (((*w >> shift) & 0xff) < rank)
		*w = (*w & ~(0xffu << shift)) | (rank << shift);
}

void sketch_add_hash(struct dn_sketch *s, uint64_t h)
{
	sketch_raise(s, dn_sketch_reg(h), dn_sketch_rank(h));
}

void sketch_merge(struct dn_sketch *dst, const struct dn_sketch *src)
{
	for (unsigned int i = 0; i < DN_SKETCH_WORDS; i++) {
		uint32_t a = dst->w[i], b = src->w[i], out = 0;

		if (a == b || !b)
			continue;
		for (unsigned int shift = 0; shift < 32; shift += 8) {
			uint32_t x = (a >> shift) & 0xff, y = (b >> shift) & 0xff;

			out |= (x > y ? x : y) << shift;
		}
		dst->w[i] = out;
	}
}

/* Ertl's sigma(x) = x + sum_k x^(2^k) 2^(k-1), for the registers still 0. */
static double ertl_sigma(double x)
{
	double y = 1, z = x, prev;

	if (x == 1)
		return INFINITY;
	do {
		x *= x;
		prev = z;
		z += x * y;
		y += y;
	} while (z != prev);
	return z;
}

/* Ertl's tau(x) = (1 - x - sum_k (1 - x^(2^-k))^2 2^-k) / 3, for the
 * registers at the largest rank. */
static double ertl_tau(double x)
{
	double y = 1, z = 1 - x, prev;

	if (x == 0 || x == 1)
		return 0;
	do {
		x = sqrt(x);
		prev = z;
		y *= 0.5;
		z -= (1 - x) * (1 - x) * y;
	} while (z != prev);
	return z / 3;
}

double sketch_estimate(const struct dn_sketch *s)
{
	const unsigned int q = 64 - DN_SKETCH_P;
	const double m = DN_SKETCH_REGS;
	unsigned int c[DN_SKETCH_MAX_RANK + 1] = { 0 };
	double z;

	for (unsigned int r = 0; r < DN_SKETCH_REGS; r++) {
		unsigned int v = sketch_get(s, r);

		c[v > q + 1 ? q + 1 : v]++;
	}
	if (c[0] == DN_SKETCH_REGS)
		return 0;
	z = m * ertl_tau(1 - c[q + 1] / m);
	for (unsigned int k = q; k >= 1; k--)
		z = 0.5 * (z + c[k]);
	z += m * ertl_sigma(c[0] / m);
	return m * m / (2 * log(2) * z);
}

/* geo_cc.c: the fixed country table: ISO 3166-1 alpha-2 codes, index = position + 1. */
#include <string.h>
#include "array_size.h"
#include "geo.h"

/* The 249 officially assigned ISO 3166-1 alpha-2 codes, plus four that the
 * databases use (docs/geo.md, Countries): AN (Netherlands Antilles,
 * transitionally reserved; still in RIR delegation data), AP and EU
 * (MaxMind's and the RIRs' "Asia/Pacific" and "European Union"), XK (a
 * user-assigned code used for Kosovo). Byte order; only appending after the
 * last entry keeps every index, any other change needs a new
 * DN_LAYOUT_VERSION. */
static const char codes[][3] = {
	"AD", "AE", "AF", "AG", "AI", "AL", "AM", "AN", "AO", "AP", "AQ", "AR", "AS",
	"AT", "AU", "AW", "AX", "AZ", "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI",
	"BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS", "BT", "BV", "BW", "BY", "BZ",
	"CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN", "CO", "CR",
	"CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC",
	"EE", "EG", "EH", "ER", "ES", "ET", "EU", "FI", "FJ", "FK", "FM", "FO", "FR",
	"GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ",
	"GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM", "HN", "HR", "HT", "HU", "ID",
	"IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM", "JO", "JP",
	"KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB",
	"LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME",
	"MF", "MG", "MH", "MK", "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT",
	"MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE", "NF", "NG", "NI", "NL",
	"NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL",
	"PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
	"SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN",
	"SO", "SR", "SS", "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH",
	"TJ", "TK", "TL", "TM", "TN", "TO", "TR", "TT", "TV", "TW", "TZ", "UA", "UG",
	"UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI", "VN", "VU", "WF", "WS",
	"XK", "YE", "YT", "ZA", "ZM", "ZW",
};

unsigned geo_cc_count(void)
{
	return ARRAY_SIZE(codes);
}

unsigned geo_cc_index(const char *cc)
{
	size_t lo = 0, hi = ARRAY_SIZE(codes);

	if (!cc || strlen(cc) != 2)
		return 0;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = memcmp(cc, codes[mid], 2);

		if (!c)
			return mid + 1;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

const char *geo_cc_code(unsigned idx)
{
	return idx && idx <= ARRAY_SIZE(codes) ? codes[idx - 1] : GEO_CC_UNKNOWN;
}

/*
 * The customer_service tools. Articles, general information and currency
 * rates come from the database, or from the HTTP providers when configured
 * (swb_tools_providers_get()). The booking lifecycle the domains share (pay,
 * cancel) is in lib/tools/booking.c.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "swb_log.h"
#include "swb_mem.h"
#include "swb_pg.h"
#include "swb_tools.h"

/* ---------------------------------------------------------------- history and details
 */

static const char history_params[] =
    "{\"type\":\"object\",\"properties\":{"
    "\"status\":{\"type\":\"string\",\"enum\":[\"pending\",\"paid\",\"cancelled\"],"
    "\"description\":\"Only bookings with this status\"},"
    "\"kind\":{\"type\":\"string\",\"enum\":[\"hotel\",\"flight\",\"tour\"],"
    "\"description\":\"Only bookings of this kind\"},"
    "\"limit\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":50,"
    "\"description\":\"At most this many bookings, newest first (default 20)\"}"
    "},\"additionalProperties\":false}";

static const char details_params[] =
    "{\"type\":\"object\",\"properties\":{" SWB_TOOLS_BOOKING_ID_PARAM
    "},\"required\":[\"booking_id\"],\"additionalProperties\":false}";

#define BOOKING_JOINS                                                                  \
        "FROM bookings b LEFT JOIN hotels h ON h.hotel_id = b.hotel_id "               \
        "LEFT JOIN room_types rt ON rt.room_type_id = b.room_type_id "                 \
        "LEFT JOIN flights f ON f.flight_id = b.flight_id "                            \
        "LEFT JOIN airports oa ON oa.code = f.origin "                                 \
        "LEFT JOIN destinations od ON od.destination_id = oa.destination_id "          \
        "LEFT JOIN airports da ON da.code = f.destination "                            \
        "LEFT JOIN destinations dd ON dd.destination_id = da.destination_id "          \
        "LEFT JOIN tours t ON t.tour_id = b.tour_id "                                  \
        "LEFT JOIN tour_departures td ON td.departure_id = b.departure_id "

#define TS_UTC(col)                                                                    \
        "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

static swb_err_t history_load(const struct swb_tool_ctx *ctx, const json_t *args,
                              json_t **result)
{
        char limit[16];
        const char *p[4];
        json_t *rows;
        swb_err_t err;

        snprintf(limit, sizeof(limit), "%lld", swb_tools_int(args, "limit", 20));
        p[0] = ctx->user_id;
        p[1] = swb_tools_str(args, "status", NULL);
        p[2] = swb_tools_str(args, "kind", NULL);
        p[3] = limit;
        err = swb_tools_query(
            ctx,
            "SELECT b.booking_id, b.kind, b.status, b.amount, b.currency, "
            "CASE b.kind "
            "WHEN 'hotel' THEN h.name || ', ' || rt.name || ', ' || b.check_in || ' to "
            "' || "
            "b.check_out || ', ' || b.rooms || ' room(s)' "
            "WHEN 'flight' THEN f.flight_no || ' ' || f.origin || '-' || f.destination "
            "|| "
            "' ' || to_char(f.depart_at AT TIME ZONE od.timezone, 'YYYY-MM-DD "
            "HH24:MI') || "
            "', ' || b.party_size || ' passenger(s)' "
            "ELSE t.name || ', ' || td.tour_date || ', ' || b.party_size || "
            "' participant(s)' END AS summary, " TS_UTC(
                "b.created_at") " AS created_at " BOOKING_JOINS
                                "WHERE b.user_id = $1 AND ($2::text IS NULL OR "
                                "b.status = $2) "
                                "AND ($3::text IS NULL OR b.kind = $3) "
                                "ORDER BY b.created_at DESC, b.booking_id DESC LIMIT "
                                "$4::int",
            4, p, &rows);
        if (err)
                return err;
        *result = json_pack("{s:o,s:I}", "bookings", rows, "count",
                            (json_int_t)json_array_size(rows));
        if (json_array_size(rows) == 0)
                json_object_set_new(*result, "message",
                                    json_string("No bookings found."));
        return SWB_OK;
}

static swb_err_t history_impl(const struct swb_tool_ctx *ctx, const json_t *args,
                              json_t **result)
{
        return swb_tools_cached(ctx, SWB_CACHE_USER_BOOKINGS, ctx->user_id,
                                "get_user_booking_history", args, history_load, result);
}

static swb_err_t details_load(const struct swb_tool_ctx *ctx, const json_t *args,
                              json_t **result)
{
        char id[32], m[16];
        const char *p[] = {id, m};
        json_t *rows, *row;
        swb_err_t err;

        snprintf(id, sizeof(id), "%lld", swb_tools_int(args, "booking_id", 0));
        snprintf(m, sizeof(m), "%d", swb__tools_booking_hold_minutes(ctx));
        err = swb_tools_query(
            ctx,
            "SELECT b.user_id, CASE WHEN b.status = 'pending' THEN "
            "to_char(bookings_hold_end(b.created_at, $2::int) AT TIME ZONE 'UTC', "
            "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') END AS hold_expires_at, "
            "json_strip_nulls(json_build_object("
            "'booking_id', b.booking_id, 'kind', b.kind, 'status', b.status, "
            "'amount', b.amount::float8, 'currency', b.currency, "
            "'party_size', b.party_size, 'contact_name', b.contact_name, "
            "'created_at', " TS_UTC("b.created_at") ", 'paid_at', " TS_UTC(
                "b.paid_at") ", "
                             "'cancelled_at', " TS_UTC(
                                 "b.cancelled_at") ", 'cancel_reason', "
                                                   "b.cancel_reason, "
                                                   "'hotel_id', b.hotel_id, "
                                                   "'hotel_name', h.name, "
                                                   "'hotel_address', h.address, "
                                                   "'room_type_id', b.room_type_id, "
                                                   "'room_type', rt.name, "
                                                   "'check_in', b.check_in, "
                                                   "'check_out', b.check_out, 'rooms', "
                                                   "b.rooms, "
                                                   "'nights', b.check_out - "
                                                   "b.check_in, "
                                                   "'flight_id', b.flight_id, "
                                                   "'flight_no', f.flight_no, "
                                                   "'airline', f.airline, "
                                                   "'origin', f.origin, 'destination', "
                                                   "f.destination, "
                                                   "'departure_local', "
                                                   "to_char(f.depart_at AT TIME ZONE "
                                                   "od.timezone, "
                                                   "'YYYY-MM-DD\"T\"HH24:MI'), "
                                                   "'arrival_local', "
                                                   "to_char(f.arrive_at AT TIME ZONE "
                                                   "dd.timezone, "
                                                   "'YYYY-MM-DD\"T\"HH24:MI'), "
                                                   "'tour_id', b.tour_id, 'tour_name', "
                                                   "t.name, 'tour_date', td.tour_date, "
                                                   "'meeting_point', t.meeting_point, "
                                                   "'start_time', "
                                                   "to_char(t.start_time, 'HH24:MI'), "
                                                   "'payments', (SELECT "
                                                   "json_agg(json_build_object('"
                                                   "transaction_id', "
                                                   "p.transaction_id, 'kind', p.kind, "
                                                   "'method', p.method, 'amount', "
                                                   "p.amount::float8, 'currency', "
                                                   "p.currency, 'status', p.status, "
                                                   "'at', " TS_UTC(
                                                       "p.created_at") ") ORDER BY "
                                                                       "p.payment_id) "
                                                                       "FROM payments "
                                                                       "p WHERE "
                                                                       "p.booking_id = "
                                                                       "b.booking_id)))"
                                                                       " AS "
                                                                       "booking"
                                                                       " " BOOKING_JOINS
                                                                       "WHERE "
                                                                       "b.booking_id = "
                                                                       "$1::bigint",
            2, p, &rows);
        if (err)
                return err;
        row = json_array_get(rows, 0);
        if (!row)
                *result = swb_tools_error(SWB_TOOL_E_NOT_FOUND, "no booking %s", id);
        else if (strcmp(swb_tools_str(row, "user_id", ""), ctx->user_id))
                *result = swb_tools_error(SWB_TOOL_E_FORBIDDEN,
                                          "booking %s belongs to another user", id);
        else {
                *result = json_incref(json_object_get(row, "booking"));
                /* a pending booking's hold: when it can no longer be paid */
                if (json_is_string(json_object_get(row, "hold_expires_at")))
                        json_object_set(*result, "hold_expires_at",
                                        json_object_get(row, "hold_expires_at"));
        }
        json_decref(rows);
        return SWB_OK;
}

static swb_err_t details_impl(const struct swb_tool_ctx *ctx, const json_t *args,
                              json_t **result)
{
        return swb_tools_cached(ctx, SWB_CACHE_USER_BOOKINGS, ctx->user_id,
                                "get_booking_details", args, details_load, result);
}

/* ---------------------------------------------------------------- currency */

static const char rates_params[] =
    "{\"type\":\"object\",\"properties\":{"
    "\"base\":{\"type\":\"string\",\"pattern\":\"^[A-Za-z]{3}$\","
    "\"description\":\"ISO 4217 code to convert from (default USD)\"},"
    "\"quote\":{\"type\":\"string\",\"pattern\":\"^[A-Za-z]{3}$\","
    "\"description\":\"ISO 4217 code to convert to; all known currencies when "
    "absent\"},"
    "\"amount\":{\"type\":\"number\",\"exclusiveMinimum\":0,\"maximum\":1e12,"
    "\"description\":\"An amount in base to convert (optional)\"}"
    "},\"additionalProperties\":false}";

/* Fetch rates from the provider into currency_rates when they are older than
 * rates_max_age_s. Failures are logged and leave the table as it is; after a
 * failure no attempt is made for a minute. */
static void rates_refresh(const struct swb_tool_ctx *ctx)
{
        static long long next_try;
        struct swb_tools_providers prov;
        char errstr[512], *codes = NULL, *vals = NULL, age[32];
        json_t *rows = NULL, *resp = NULL, *rates, *v;
        const char *base, *host, *key;
        size_t clen = 0, vlen = 0;
        long long now = (long long)time(NULL);
        swb_err_t err;

        swb_tools_providers_get(ctx, &prov);
        if (!prov.rates_url || !*prov.rates_url ||
            now < __atomic_load_n(&next_try, __ATOMIC_RELAXED))
                return;
        snprintf(age, sizeof(age), "%d", prov.rates_max_age_s);
        {
                const char *p[] = {age};
                if (swb_tools_query(
                        ctx,
                        "SELECT count(*) AS fresh FROM currency_rates WHERE "
                        "source <> 'seed' AND updated_at > now() - "
                        "make_interval(secs => $1::int)",
                        1, p, &rows))
                        return;
        }
        if (swb_tools_int(json_array_get(rows, 0), "fresh", 0) > 0)
                goto out;
        err = swb_tools_http_json(prov.rates_url, prov.rates_api_key, NULL,
                                  prov.timeout_ms, &resp, errstr, sizeof(errstr));
        rates = json_object_get(resp, "rates");
        if (!json_is_object(rates))
                rates = json_object_get(resp, "conversion_rates");
        base = swb_tools_str(resp, "base", swb_tools_str(resp, "base_code", "USD"));
        if (err || !json_is_object(rates) || strlen(base) != 3) {
                SWB_WARN(ctx->corr, "currency rates provider: %s",
                         err ? errstr : "no \"rates\" object in the answer");
                __atomic_store_n(&next_try, now + 60, __ATOMIC_RELAXED);
                goto out;
        }
        codes = swb_strdup("{");
        vals = swb_strdup("{");
        json_object_foreach(rates, key, v)
        {
                char num[64];
                if (strlen(key) != 3 || !isalpha((unsigned char)key[0]) ||
                    !isalpha((unsigned char)key[1]) ||
                    !isalpha((unsigned char)key[2]) || !json_is_number(v) ||
                    json_number_value(v) <= 0)
                        continue;
                snprintf(num, sizeof(num), "%.10g", json_number_value(v));
                clen = strlen(codes), vlen = strlen(vals);
                codes = swb_realloc(codes, clen + 6);
                snprintf(codes + clen, 6, "%s%s", clen > 1 ? "," : "", key);
                vals = swb_realloc(vals, vlen + strlen(num) + 3);
                snprintf(vals + vlen, strlen(num) + 3, "%s%s", vlen > 1 ? "," : "",
                         num);
        }
        clen = strlen(codes), vlen = strlen(vals);
        codes = swb_realloc(codes, clen + 2), strcat(codes, "}");
        vals = swb_realloc(vals, vlen + 2), strcat(vals, "}");
        host = strstr(prov.rates_url, "://");
        host = host ? host + 3 : prov.rates_url;
        {
                char src[128];
                const char *p[4];
                snprintf(src, sizeof(src), "%.*s", (int)strcspn(host, "/?"), host);
                p[0] = base, p[1] = codes, p[2] = vals, p[3] = src;
                if (swb_pg_exec(
                        ctx->pg,
                        "INSERT INTO currency_rates (base, quote, rate, updated_at, "
                        "source) SELECT DISTINCT ON (q) upper($1), q, r, now(), $4 "
                        "FROM "
                        "(SELECT upper(q) AS q, r FROM unnest($2::text[], "
                        "$3::numeric[]) "
                        "AS u(q, r) WHERE upper(q) <> upper($1) "
                        "UNION ALL SELECT upper($1), 1) x "
                        "ON CONFLICT (base, quote) DO UPDATE SET rate = excluded.rate, "
                        "updated_at = excluded.updated_at, source = excluded.source",
                        4, p, NULL, errstr, sizeof(errstr)))
                        SWB_WARN(ctx->corr, "currency rates: storing failed: %s",
                                 errstr);
                else
                        SWB_INFO(ctx->corr,
                                 "currency rates refreshed from %s (base %s)", src,
                                 base);
        }
out:
        swb_free(codes);
        swb_free(vals);
        json_decref(rows);
        json_decref(resp);
}

static swb_err_t rates_impl(const struct swb_tool_ctx *ctx, const json_t *args,
                            json_t **result)
{
        char base[4], quote[4];
        const char *q = swb_tools_str(args, "quote", NULL);
        const char *p[2];
        json_t *rows, *r;
        size_t i;
        swb_err_t err;

        snprintf(base, sizeof(base), "%s", swb_tools_str(args, "base", "USD"));
        snprintf(quote, sizeof(quote), "%s", q ? q : "");
        for (i = 0; i < 3; i++) {
                base[i] = (char)toupper((unsigned char)base[i]);
                quote[i] = (char)toupper((unsigned char)quote[i]);
        }
        rates_refresh(ctx);
        p[0] = base;
        p[1] = q ? quote : NULL;
        err = swb_tools_query(
            ctx,
            "WITH pivot AS (SELECT base FROM currency_rates WHERE quote = $1 "
            "ORDER BY updated_at DESC, (base = 'USD') DESC LIMIT 1) "
            "SELECT r.quote, round(r.rate / b.rate, 8)::float8 AS rate, " TS_UTC(
                "least(r.updated_at, b.updated_at)") " AS updated_at, r.source "
                                                     "FROM pivot JOIN currency_rates b "
                                                     "ON b.base = pivot.base AND "
                                                     "b.quote = $1 "
                                                     "JOIN currency_rates r ON r.base "
                                                     "= pivot.base "
                                                     "WHERE ($2::text IS NULL OR "
                                                     "r.quote = $2) AND r.quote <> $1 "
                                                     "ORDER BY r.quote",
            2, p, &rows);
        if (err)
                return err;
        if (json_array_size(rows) == 0) {
                *result =
                    swb_tools_error(SWB_TOOL_E_NOT_FOUND, "no exchange rate for %s%s%s",
                                    base, q ? " to " : "", q ? quote : "");
                json_decref(rows);
                return SWB_OK;
        }
        if (json_object_get(args, "amount")) {
                double amount = swb_tools_num(args, "amount", 0);
                json_array_foreach(rows, i, r) json_object_set_new(
                    r, "converted",
                    swb_tools_money(amount *
                                    json_number_value(json_object_get(r, "rate"))));
        }
        *result = json_pack("{s:s,s:o}", "base", base, "rates", rows);
        if (json_object_get(args, "amount"))
                json_object_set(*result, "amount", json_object_get(args, "amount"));
        return SWB_OK;
}

/* ---------------------------------------------------------------- knowledge */

#define KB_CATEGORIES                                                                  \
        "[\"faq\",\"baggage\",\"refund\",\"cancellation\",\"visa\",\"payment\","       \
        "\"booking\",\"destination\",\"health\",\"travel_tips\"]"

#define QUERY_PARAM                                                                    \
        "\"query\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":300,"            \
        "\"description\":\"What to look for, in English or Indonesian\"}"

static const char kb_params[] =
    "{\"type\":\"object\",\"properties\":{" QUERY_PARAM ","
    "\"lang\":{\"type\":\"string\",\"enum\":[\"en\",\"id\"],"
    "\"description\":\"Only articles in this language\"},"
    "\"category\":{\"type\":\"string\",\"enum\":" KB_CATEGORIES "},"
    "\"limit\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":10,"
    "\"description\":\"At most this many articles (default 3)\"}"
    "},\"required\":[\"query\"],\"additionalProperties\":false}";

static const char articles_params[] =
    "{\"type\":\"object\",\"properties\":{" QUERY_PARAM ","
    "\"category\":{\"type\":\"string\",\"enum\":" KB_CATEGORIES "},"
    "\"limit\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":10,"
    "\"description\":\"At most this many results (default 5)\"}"
    "},\"required\":[\"query\"],\"additionalProperties\":false}";

static const char general_params[] =
    "{\"type\":\"object\",\"properties\":{" QUERY_PARAM ","
    "\"limit\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":10,"
    "\"description\":\"At most this many results (default 3)\"}"
    "},\"required\":[\"query\"],\"additionalProperties\":false}";

/*
 * The language a query is written in, from its function words ("yang",
 * "bagaimana" / "the", "how"); else the user's locale.
 */
static const char *query_lang(const char *query, const char *locale)
{
        static const char *const id_words[] = {
            "yang",      "dan",   "di",     "ke",     "dari", "untuk", "dengan",
            "bagaimana", "apa",   "apakah", "berapa", "saya", "bisa",  "ada",
            "tidak",     "cara",  "kapan",  "mana",   "ini",  "itu",   "atau",
            "pada",      "dalam", "jika",   "kalau",  "mau",  "ingin", NULL};
        static const char *const en_words[] = {
            "the",  "and",   "how",   "what", "can", "is",   "my",
            "for",  "to",    "of",    "in",   "do",  "does", "with",
            "when", "where", "which", "i",    "a",   "an",   NULL};
        int id = 0, en = 0;
        char word[32];
        size_t n = 0;

        for (const char *c = query;; c++) {
                if (isalpha((unsigned char)*c)) {
                        if (n < sizeof(word) - 1)
                                word[n++] = (char)tolower((unsigned char)*c);
                        continue;
                }
                word[n] = '\0';
                for (int i = 0; n && id_words[i]; i++)
                        id += !strcmp(word, id_words[i]);
                for (int i = 0; n && en_words[i]; i++)
                        en += !strcmp(word, en_words[i]);
                n = 0;
                if (!*c)
                        break;
        }
        if (id > en)
                return "id";
        if (en > id)
                return "en";
        return locale && !strncmp(locale, "id", 2) ? "id" : "en";
}

/* Full-text search of kb_articles: ranked in both languages, articles in the
 * query's language first among equals, with passages around the matches. */
static swb_err_t kb_search(const struct swb_tool_ctx *ctx, const char *query,
                           const char *lang, const char *category, long long limit,
                           json_t **result)
{
        char lim[16];
        const char *p[5];
        json_t *rows;
        swb_err_t err;

        snprintf(lim, sizeof(lim), "%lld", limit);
        p[0] = query, p[1] = lang, p[2] = category,
        p[3] = query_lang(query, ctx->locale);
        p[4] = lim;
        err = swb_tools_query(
            ctx,
            "SELECT a.article_id, a.slug, a.title, a.category, a.lang, "
            "round((ts_rank_cd(a.tsv, q.q, 32) * CASE WHEN a.lang = $4 THEN 1.25 "
            "ELSE 1 END)::numeric, 4)::float8 AS score, "
            "ts_headline(CASE a.lang WHEN 'id' THEN 'indonesian'::regconfig "
            "ELSE 'english'::regconfig END, a.body, q.q, 'MaxFragments=2, MinWords=12, "
            "MaxWords=40, StartSel=\"\", StopSel=\"\", FragmentDelimiter=\" ... \"') "
            "AS passage "
            "FROM kb_articles a, (SELECT kb_query($1) AS q) q "
            "WHERE a.tsv @@ q.q AND ($2::text IS NULL OR a.lang = $2) "
            "AND ($3::text IS NULL OR a.category = $3) "
            "ORDER BY score DESC, a.article_id LIMIT $5::int",
            5, p, &rows);
        if (err)
                return err;
        *result =
            json_pack("{s:s,s:s,s:o,s:I}", "source", "knowledge_base", "query", query,
                      "articles", rows, "count", (json_int_t)json_array_size(rows));
        if (json_array_size(rows) == 0)
                json_object_set_new(
                    *result, "message",
                    json_string("No article matches; try other words."));
        return SWB_OK;
}

/*
 * Ask the web-search provider (Tavily-compatible: POST {"query",
 * "max_results", ...} -> {"answer", "results":[{"title","url","content"}]}).
 * @returns SWB_OK with *result, or an error (the caller falls back).
 */
static swb_err_t web_search(const struct swb_tool_ctx *ctx,
                            const struct swb_tools_providers *prov, const char *query,
                            long long limit, json_t **result)
{
        char errstr[512];
        json_t *req, *resp = NULL, *results, *out, *r;
        size_t i;
        swb_err_t err;

        req =
            json_pack("{s:s,s:I,s:s,s:b}", "query", query, "max_results",
                      (json_int_t)limit, "search_depth", "basic", "include_answer", 1);
        if (prov->search_api_key && *prov->search_api_key)
                json_object_set_new(req, "api_key", json_string(prov->search_api_key));
        err = swb_tools_http_json(prov->search_url, prov->search_api_key, req,
                                  prov->timeout_ms, &resp, errstr, sizeof(errstr));
        json_decref(req);
        if (err) {
                SWB_WARN(ctx->corr, "web search provider: %s", errstr);
                return err;
        }
        results = json_object_get(resp, "results");
        if (!json_is_array(results)) {
                SWB_WARN(ctx->corr, "web search provider: no \"results\" array");
                json_decref(resp);
                return SWB_ERR_DECODE;
        }
        out = json_array();
        json_array_foreach(results, i, r)
        {
                if ((long long)i >= limit)
                        break;
                json_array_append_new(out,
                                      json_pack("{s:s,s:s,s:s}", "title",
                                                swb_tools_str(r, "title", ""), "url",
                                                swb_tools_str(r, "url", ""), "snippet",
                                                swb_tools_str(r, "content", "")));
        }
        *result = json_pack("{s:s,s:s,s:o,s:I}", "source", "web", "query", query,
                            "results", out, "count", (json_int_t)json_array_size(out));
        if (json_is_string(json_object_get(resp, "answer")))
                json_object_set(*result, "answer", json_object_get(resp, "answer"));
        json_decref(resp);
        return SWB_OK;
}

static swb_err_t web_or_kb(const struct swb_tool_ctx *ctx, const json_t *args,
                           long long dflt_limit, const char *category, json_t **result)
{
        struct swb_tools_providers prov;
        const char *query = swb_tools_str(args, "query", "");
        long long limit = swb_tools_int(args, "limit", dflt_limit);
        swb_err_t err;

        swb_tools_providers_get(ctx, &prov);
        if (prov.search_url && *prov.search_url &&
            web_search(ctx, &prov, query, limit, result) == SWB_OK)
                return SWB_OK;
        err = kb_search(ctx, query, NULL, category, limit, result);
        if (!err && prov.search_url && *prov.search_url)
                json_object_set_new(
                    *result, "note",
                    json_string("web search unavailable; answered from the "
                                "knowledge base"));
        return err;
}

static swb_err_t articles_impl(const struct swb_tool_ctx *ctx, const json_t *args,
                               json_t **result)
{
        return web_or_kb(ctx, args, 5, swb_tools_str(args, "category", NULL), result);
}

static swb_err_t general_impl(const struct swb_tool_ctx *ctx, const json_t *args,
                              json_t **result)
{
        return web_or_kb(ctx, args, 3, NULL, result);
}

static swb_err_t kb_impl(const struct swb_tool_ctx *ctx, const json_t *args,
                         json_t **result)
{
        return kb_search(ctx, swb_tools_str(args, "query", ""),
                         swb_tools_str(args, "lang", NULL),
                         swb_tools_str(args, "category", NULL),
                         swb_tools_int(args, "limit", 3), result);
}

/* ---------------------------------------------------------------- table */

SWB_TOOL_DEFINE(get_user_booking_history, "get_user_booking_history", history_params,
                history_impl)
SWB_TOOL_DEFINE(get_booking_details, "get_booking_details", details_params,
                details_impl)
SWB_TOOL_DEFINE(search_currency_rates, "search_currency_rates", rates_params,
                rates_impl)
SWB_TOOL_DEFINE(search_travel_articles, "search_travel_articles", articles_params,
                articles_impl)
SWB_TOOL_DEFINE(search_general_info, "search_general_info", general_params,
                general_impl)
SWB_TOOL_DEFINE(query_knowledge_base, "query_knowledge_base", kb_params, kb_impl)

const struct swb_tool swb_tools_service[] = {
    {"get_user_booking_history",
     "The current user's bookings (hotel, flight, tour), newest first, with status "
     "(pending, paid, cancelled), amount and a one-line summary.",
     history_params, get_user_booking_history},
    {"get_booking_details",
     "Everything about one of the current user's bookings by booking_id, including "
     "payments and refunds.",
     details_params, get_booking_details},
    {"cancel_hotel_booking", SWB_TOOLS_CANCEL_HOTEL_DESC, SWB_TOOLS_CANCEL_PARAMS,
     swb__tool_cancel_hotel_booking},
    {"cancel_flight_booking", SWB_TOOLS_CANCEL_FLIGHT_DESC, SWB_TOOLS_CANCEL_PARAMS,
     swb__tool_cancel_flight_booking},
    {"cancel_tour_booking", SWB_TOOLS_CANCEL_TOUR_DESC, SWB_TOOLS_CANCEL_PARAMS,
     swb__tool_cancel_tour_booking},
    {"process_hotel_payment",
     "Pay one of the user's pending hotel bookings (the full amount). Returns the "
     "payment transaction id (TX-...).",
     SWB_TOOLS_PAY_PARAMS, swb__tool_pay_hotel_booking},
    {"process_flight_payment",
     "Pay one of the user's pending flight bookings (the full amount). Returns the "
     "payment transaction id (TX-...).",
     SWB_TOOLS_PAY_PARAMS, swb__tool_pay_flight_booking},
    {"process_tour_payment",
     "Pay one of the user's pending tour bookings (the full amount). Returns the "
     "payment transaction id (TX-...).",
     SWB_TOOLS_PAY_PARAMS, swb__tool_pay_tour_booking},
    {"search_currency_rates",
     "Exchange rates from a base currency (default USD) to one or all known "
     "currencies, optionally converting an amount; with the time of the rate.",
     rates_params, search_currency_rates},
    {"search_travel_articles",
     "Search travel articles and guides (visas, baggage, payments, refunds, "
     "destinations). Uses web search when configured, else the knowledge base.",
     articles_params, search_travel_articles},
    {"search_general_info",
     "Search for general travel information on the web when configured, else in the "
     "knowledge base.",
     general_params, search_general_info},
    {"query_knowledge_base",
     "Search the help-centre knowledge base (FAQ, policies for refunds, cancellation, "
     "baggage, payments, visas; English and Indonesian) and return the best passages.",
     kb_params, query_knowledge_base},
};
const size_t swb_tools_service_cnt = SWB_ARRAY_LEN(swb_tools_service);

/* test_parse_pyroscope.c - Pyroscope's push formats: PushRequest in protobuf (bytes
 * written field by field here, as protoc encodes them) and in its JSON form, the caps,
 * name= of /ingest, the profile-type suffixes, the multipart body of the Go SDK, the
 * labels leakfleet takes, and the first sample type of real and hand-made profiles. */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "check_main.h"
#include "decode.h"
#include "parse_pprof.h"
#include "parse_pyroscope.h"

/* ---- a tiny protobuf writer --------------------------------------------------------- */

struct pbw {
    char buf[8192];
    size_t len;
};

static void put_varint(struct pbw *w, uint64_t v)
{
    while (v >= 0x80) {
        w->buf[w->len++] = (char)(v | 0x80);
        v >>= 7;
    }
    w->buf[w->len++] = (char)v;
}

static void put_bytes(struct pbw *w, unsigned field, const char *p, size_t len)
{
    put_varint(w, (uint64_t)field << 3 | 2);
    put_varint(w, len);
    memcpy(w->buf + w->len, p, len);
    w->len += len;
}

static void put_msg(struct pbw *w, unsigned field, const struct pbw *sub)
{
    put_bytes(w, field, sub->buf, sub->len);
}

static struct pbw label(const char *name, const char *value)
{
    struct pbw w = { .len = 0 };
    put_bytes(&w, 1, name, strlen(name));
    put_bytes(&w, 2, value, strlen(value));
    return w;
}

static struct pbw sample(const char *profile, size_t len, const char *id)
{
    struct pbw w = { .len = 0 };
    put_bytes(&w, 1, profile, len);
    if (id != NULL)
        put_bytes(&w, 2, id, strlen(id));
    return w;
}

START_TEST(test_push_proto)
{
    struct pbw series = { .len = 0 }, push = { .len = 0 };
    struct pbw l1 = label("service_name", "checkout"), l2 = label("instance", "pod-1");
    struct pbw s1 = sample("\x1f\x8b-not-really", 13, "uuid-1"), s2 = sample("", 0, NULL);
    struct pbw annotation = label("k", "v");
    put_msg(&series, 1, &l1);
    put_msg(&series, 3, &annotation); /* skipped */
    put_msg(&series, 2, &s1);
    put_msg(&series, 1, &l2);
    put_msg(&series, 2, &s2);
    put_varint(&series, (uint64_t)9 << 3 | 0); /* an unknown varint field: skipped */
    put_varint(&series, 300);
    put_msg(&push, 1, &series);
    put_msg(&push, 1, &series);
    struct pyroscope_push out;
    struct lf_error err;
    ck_assert_int_eq(pyroscope_push_decode(push.buf, push.len, &out, &err), LF_OK);
    ck_assert_uint_eq(out.n_series, 2);
    const struct pyroscope_series *s = &out.series[1];
    ck_assert_uint_eq(s->n_labels, 2);
    ck_assert_uint_eq(s->n_samples, 2);
    ck_assert(str_eq_cstr(s->labels[0].name, "service_name"));
    ck_assert(str_eq_cstr(s->labels[1].value, "pod-1"));
    ck_assert_uint_eq(s->samples[0].profile.len, 13);
    ck_assert(str_eq_cstr(s->samples[0].id, "uuid-1"));
    ck_assert_uint_eq(s->samples[1].profile.len, 0);
    ck_assert_uint_eq(s->samples[1].id.len, 0);
    pyroscope_push_release(&out);

    /* an empty request is a request of no series */
    ck_assert_int_eq(pyroscope_push_decode("", 0, &out, &err), LF_OK);
    ck_assert_uint_eq(out.n_series, 0);
    pyroscope_push_release(&out);

    /* truncated, a bad wire type for a message, a label that is not UTF-8 */
    ck_assert_int_eq(pyroscope_push_decode(push.buf, push.len - 1, &out, &err), LF_EINVAL);
    pyroscope_push_release(&out);
    struct pbw bad = { .len = 0 }, bad_series = { .len = 0 }, bad_label = label("a", "\xff\xfe");
    put_msg(&bad_series, 1, &bad_label);
    put_msg(&bad, 1, &bad_series);
    ck_assert_int_eq(pyroscope_push_decode(bad.buf, bad.len, &out, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "series 0: label value at byte 7 is not valid UTF-8");
    pyroscope_push_release(&out);
    /* without an error to fill, the same code: the prefix does not make it internal */
    ck_assert_int_eq(pyroscope_push_decode(bad.buf, bad.len, &out, NULL), LF_EINVAL);
    pyroscope_push_release(&out);
}
END_TEST

/* A series field with the varint wire type is not a message: refused, never read as one. */
START_TEST(test_push_proto_wire_types)
{
    struct pyroscope_push out;
    struct lf_error err;
    /* field 1 (series) as a varint */
    ck_assert_int_eq(pyroscope_push_decode("\x08\x01", 2, &out, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "series at byte 0 has wire type 0, not 2");
    pyroscope_push_release(&out);
    /* a group (wire type 3) */
    ck_assert_int_eq(pyroscope_push_decode("\x0b", 1, &out, &err), LF_EINVAL);
    pyroscope_push_release(&out);
}
END_TEST

START_TEST(test_push_caps)
{
    static struct pbw push;
    push.len = 0;
    struct pbw series = { .len = 0 };
    struct pbw s = sample("x", 1, NULL);
    for (int i = 0; i < 9; i++)
        put_msg(&series, 2, &s);
    /* 120 series of 9 profiles: 1,080 profiles, over the 1,024 of one request */
    for (int i = 0; i < 120; i++)
        put_msg(&push, 1, &series);
    struct pyroscope_push out;
    struct lf_error err;
    ck_assert_int_eq(pyroscope_push_decode(push.buf, push.len, &out, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "series 113: more than 1024 profiles in one request");
    pyroscope_push_release(&out);
    struct pbw many = { .len = 0 };
    struct pbw l = label("a", "b");
    for (int i = 0; i < PYROSCOPE_MAX_LABELS + 1; i++)
        put_msg(&many, 1, &l);
    push.len = 0;
    put_msg(&push, 1, &many);
    ck_assert_int_eq(pyroscope_push_decode(push.buf, push.len, &out, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "series 0: a series has more than 64 labels");
    pyroscope_push_release(&out);
}
END_TEST

START_TEST(test_push_json)
{
    /* "Z29yb3V0aW5l" is base64 of "goroutine"; URL-safe and unpadded forms too */
    static const char text[] =
            "{\"series\": [{\"labels\": [{\"name\": \"service_name\", \"value\": \"shop\"}],"
            " \"samples\": [{\"rawProfile\": \"Z29yb3V0aW5l\", \"ID\": \"u1\"},"
            " {\"raw_profile\": \"-_8\"}, {\"rawProfile\": null}], \"annotations\": []},"
            " {\"labels\": null}]}";
    struct pyroscope_push out;
    struct lf_error err;
    ck_assert_int_eq(pyroscope_push_decode_json(text, strlen(text), &out, &err), LF_OK);
    ck_assert_uint_eq(out.n_series, 2);
    const struct pyroscope_series *s = &out.series[0];
    ck_assert_uint_eq(s->n_samples, 3);
    ck_assert(str_eq_cstr(s->samples[0].profile, "goroutine"));
    ck_assert(str_eq_cstr(s->samples[0].id, "u1"));
    ck_assert_uint_eq(s->samples[1].profile.len, 2);
    ck_assert_int_eq((unsigned char)s->samples[1].profile.p[1], 0xff);
    ck_assert_uint_eq(s->samples[2].profile.len, 0);
    ck_assert(str_eq_cstr(s->labels[0].value, "shop"));
    ck_assert_uint_eq(out.series[1].n_labels, 0);
    pyroscope_push_release(&out);

    static const char *const bad[][2] = {
        { "{\"series\": [{\"labels\": [], \"extra\": 1}]}",
          "series 0: unknown field 'extra' in a series" },
        { "{\"serie\": []}", "unknown field 'serie' in the request" },
        { "{\"series\": [{\"samples\": [{\"rawProfile\": \"***\"}]}]}",
          "series 0: 'rawProfile' is not base64" },
        { "{\"series\": [{\"samples\": [{\"rawProfile\": \"QQ==\", \"raw_profile\": \"QQ==\"}]}]}",
          "series 0: both 'rawProfile' and 'raw_profile'" },
        { "{\"series\": [{\"labels\": [{\"name\": 1}]}]}", "series 0: 'name' must be a string" },
        { "{\"series\": {}}", "'series' must be an array" },
        { "[]", "the request must be an object" },
        { "{\"series\": [], \"series\": []}", NULL },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(pyroscope_push_decode_json(bad[i][0], strlen(bad[i][0]), &out, &err),
                         LF_EINVAL);
        if (bad[i][1] != NULL)
            ck_assert_str_eq(err.msg, bad[i][1]);
        pyroscope_push_release(&out);
    }
}
END_TEST

START_TEST(test_name)
{
    struct str app;
    struct pyroscope_label labels[4];
    size_t n = 0;
    struct lf_error err;
    const char *name = "shop.cpu{otel.scope.name=com.grafana.pyroscope/nodejs,instance=i-1,e=}";
    ck_assert_int_eq(pyroscope_name_parse(name, strlen(name), &app, labels, 4, &n, &err), LF_OK);
    ck_assert(str_eq_cstr(app, "shop.cpu"));
    ck_assert_uint_eq(n, 3);
    ck_assert(str_eq_cstr(labels[0].name, "otel.scope.name"));
    ck_assert(str_eq_cstr(labels[0].value, "com.grafana.pyroscope/nodejs"));
    ck_assert(str_eq_cstr(labels[1].value, "i-1"));
    ck_assert_uint_eq(labels[2].value.len, 0);
    ck_assert_int_eq(pyroscope_name_parse("shop", 4, &app, labels, 4, &n, &err), LF_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(pyroscope_name_parse("shop{}", 6, &app, labels, 4, &n, &err), LF_OK);
    ck_assert_uint_eq(n, 0);
    static const char *const bad[][2] = {
        { "{a=b}", "parameter 'name' has no application name" },
        { "shop{a=b", "parameter 'name' must end its labels with '}'" },
        { "shop{a=b}x", "parameter 'name' must end its labels with '}'" },
        { "shop{a}", "parameter 'name': label 1 is not KEY=VALUE" },
        { "shop{=b}", "parameter 'name': label 1 is not KEY=VALUE" },
        { "shop{a=b,a=c}", "parameter 'name': label 2 repeats a key" },
        { "shop{a=b,}", "parameter 'name' ends its labels with ','" },
        { "shop{a=}b}", "parameter 'name': label 1 holds a brace" },
        { "sh}op{a=b}", "parameter 'name' has a '}' before its '{'" },
        { "shop{a=1,b=2,c=3,d=4,e=5}", "parameter 'name' has more than 4 labels" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(
                pyroscope_name_parse(bad[i][0], strlen(bad[i][0]), &app, labels, 4, &n, &err),
                LF_EINVAL);
        ck_assert_str_eq(err.msg, bad[i][1]);
    }
    ck_assert(str_eq_cstr(pyroscope_app_service(STR_LIT("checkout.goroutines")), "checkout"));
    ck_assert(str_eq_cstr(pyroscope_app_service(STR_LIT("checkout.cpu")), "checkout"));
    ck_assert(str_eq_cstr(pyroscope_app_service(STR_LIT("checkout.v2")), "checkout.v2"));
    ck_assert(str_eq_cstr(pyroscope_app_service(STR_LIT(".cpu")), ".cpu"));
}
END_TEST

START_TEST(test_identity)
{
    struct pyroscope_label labels[] = {
        { STR_LIT("hostname"), STR_LIT("h") },         { STR_LIT("pod"), STR_LIT("p") },
        { STR_LIT("service_name"), STR_LIT("s") },     { STR_LIT("version"), STR_LIT("v1") },
        { STR_LIT("service_version"), STR_LIT("sv") },
    };
    struct pyroscope_identity who;
    struct lf_error err;
    ck_assert_int_eq(pyroscope_identity(labels, 5, STR_LIT("app"), &who, &err), LF_OK);
    ck_assert(str_eq_cstr(who.service, "s"));
    ck_assert(str_eq_cstr(who.instance, "p"));
    ck_assert(str_eq_cstr(who.version, "sv"));
    ck_assert_int_eq(pyroscope_identity(labels, 1, STR_LIT("app"), &who, &err), LF_OK);
    ck_assert(str_eq_cstr(who.service, "app"));
    ck_assert(str_eq_cstr(who.instance, "h"));
    ck_assert_uint_eq(who.version.len, 0);
    struct pyroscope_label twice[] = { { STR_LIT("service_name"), STR_LIT("shop") },
                                       { STR_LIT("service_name"), STR_LIT("billing") } };
    ck_assert_int_eq(pyroscope_identity(twice, 2, STR_LIT(""), &who, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "label 1 repeats the name of label 0");
}
END_TEST

START_TEST(test_multipart)
{
    static const char body[] =
            "--XyZ\r\nContent-Disposition: form-data; name=\"prev_profile\"\r\n\r\nold\r\n"
            "--XyZ\r\nContent-Disposition: form-data; name=\"profile\"; "
            "filename=\"profile.pprof\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            "PRO\r\nFILE\r\n--XyZ\r\nContent-Disposition: form-data; "
            "name=\"sample_type_config\"\r\n\r\n{}\r\n--XyZ--\r\n";
    struct str profile;
    struct lf_error err;
    ck_assert_int_eq(pyroscope_multipart_profile("multipart/form-data; boundary=XyZ", body,
                                                 strlen(body), &profile, &err),
                     LF_OK);
    ck_assert(str_eq_cstr(profile, "PRO\r\nFILE"));
    ck_assert_int_eq(pyroscope_multipart_profile("multipart/form-data; charset=x; boundary=\"XyZ\"",
                                                 body, strlen(body), &profile, &err),
                     LF_OK);
    static const char *const bad[][3] = {
        { "multipart/form-data", body, "multipart content type has no boundary" },
        { "text/plain; boundary=XyZ", body, "content type must be multipart/form-data" },
        { "multipart/form-data; boundary=Other", body,
          "multipart body does not open with its boundary" },
        { "multipart/form-data; boundary=XyZ", "--XyZ\r\nA: b\r\n\r\nno end",
          "multipart part is not closed by its boundary" },
        { "multipart/form-data; boundary=XyZ", "--XyZ\r\nA: b",
          "multipart part has no end of headers" },
        { "multipart/form-data; boundary=XyZ", "--XyZ--\r\n",
          "multipart body has no 'profile' part" },
        { "multipart/form-data; boundary=XyZ", "--XyZx",
          "multipart boundary line is not ended by CRLF" },
        { "multipart/form-data; boundary=\"XyZ", body, "multipart boundary has no closing quote" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(pyroscope_multipart_profile(bad[i][0], bad[i][1], strlen(bad[i][1]),
                                                     &profile, &err),
                         LF_EINVAL);
        ck_assert_str_eq(err.msg, bad[i][2]);
    }
    char long_type[128];
    snprintf(long_type, sizeof(long_type), "multipart/form-data; boundary=%071d", 0);
    ck_assert_int_eq(pyroscope_multipart_profile(long_type, body, strlen(body), &profile, &err),
                     LF_EINVAL);
    ck_assert_str_eq(err.msg, "multipart boundary must be 1 to 70 characters");
}
END_TEST

START_TEST(test_sample_type)
{
    FILE *f = fopen(LF_FIXTURE("shop-n25.pb.gz"), "rb");
    ck_assert_ptr_nonnull(f);
    static char gz[1 << 16];
    size_t gz_len = fread(gz, 1, sizeof(gz), f);
    fclose(f);
    char *pb = NULL;
    size_t len = 0;
    struct lf_error err;
    ck_assert_int_eq(decode_gunzip_buffer(gz, gz_len, 1 << 24, &pb, &len, &err), LF_OK);
    struct str type, unit;
    int64_t nanos = 0;
    ck_assert_int_eq(parse_pprof_sample_type(pb, len, &type, &unit, &nanos, &err), LF_OK);
    ck_assert(str_eq_cstr(type, "goroutine"));
    ck_assert(str_eq_cstr(unit, "count"));
    ck_assert_int_gt(nanos, 0);
    ck_assert(pyroscope_is_goroutine(type, unit));
    lf_free(pb);

    /* a CPU-like profile: sample_type {samples, count}, {cpu, nanoseconds} */
    struct pbw p = { .len = 0 }, t1 = { .len = 0 }, t2 = { .len = 0 };
    put_varint(&t1, 1 << 3);
    put_varint(&t1, 1);
    put_varint(&t1, 2 << 3);
    put_varint(&t1, 2);
    put_varint(&t2, 1 << 3);
    put_varint(&t2, 3);
    put_varint(&t2, 2 << 3);
    put_varint(&t2, 4);
    put_msg(&p, 1, &t1);
    put_msg(&p, 1, &t2);
    const char *strings[] = { "", "samples", "count", "cpu", "nanoseconds" };
    for (size_t i = 0; i < 5; i++)
        put_bytes(&p, 6, strings[i], strlen(strings[i]));
    ck_assert_int_eq(parse_pprof_sample_type(p.buf, p.len, &type, &unit, &nanos, &err), LF_OK);
    ck_assert(str_eq_cstr(type, "samples"));
    ck_assert(!pyroscope_is_goroutine(type, unit));
    ck_assert_int_eq(nanos, 0);
    /* goroutine counted in another unit is not a goroutine profile */
    ck_assert(!pyroscope_is_goroutine(STR_LIT("goroutine"), STR_LIT("nanoseconds")));
    ck_assert(pyroscope_is_goroutine(STR_LIT("goroutineleak"), STR_LIT("count")));
    /* an index past the string table */
    struct pbw q = { .len = 0 }, t3 = { .len = 0 };
    put_varint(&t3, 1 << 3);
    put_varint(&t3, 7);
    put_msg(&q, 1, &t3);
    for (size_t i = 0; i < 5; i++)
        put_bytes(&q, 6, strings[i], strlen(strings[i]));
    ck_assert_int_eq(parse_pprof_sample_type(q.buf, q.len, &type, &unit, &nanos, &err), LF_EINVAL);
    ck_assert_str_eq(err.msg, "sample_type names string 7 of a 5-string table");
    /* truncated inside the string table */
    ck_assert_int_eq(parse_pprof_sample_type(p.buf, p.len - 12, &type, &unit, &nanos, &err),
                     LF_EINVAL);
    /* no sample type at all: empty views */
    ck_assert_int_eq(parse_pprof_sample_type("", 0, &type, &unit, &nanos, &err), LF_OK);
    ck_assert_uint_eq(type.len, 0);
}
END_TEST

static Suite *parse_pyroscope_suite(void)
{
    Suite *s = suite_create("parse_pyroscope");
    TCase *push = tcase_create("push");
    tcase_add_test(push, test_push_proto);
    tcase_add_test(push, test_push_proto_wire_types);
    tcase_add_test(push, test_push_caps);
    tcase_add_test(push, test_push_json);
    suite_add_tcase(s, push);
    TCase *ingest = tcase_create("ingest");
    tcase_add_test(ingest, test_name);
    tcase_add_test(ingest, test_identity);
    tcase_add_test(ingest, test_multipart);
    tcase_add_test(ingest, test_sample_type);
    suite_add_tcase(s, ingest);
    return s;
}

LF_CHECK_MAIN(parse_pyroscope_suite)

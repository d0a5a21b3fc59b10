/* .pt reader tests against fixtures written by make_fixtures.py (PyTorch):
 * every tensor of every good file matches PyTorch's values exactly (fp16/bf16
 * widen exactly), SHA-256 matches hashlib, and every bad file fails with a
 * message naming the file and the problem.
 * Usage: test_ptload FIXTURE_DIR */
#include <hdf5.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/check.h"
#include "common/sha256.h"
#include "ptload/pt_reader.h"

typedef struct {
    const char *dir;
} Ctx;

static void fixture_path(const Ctx *c, const char *name, char *out, size_t n) {
    snprintf(out, n, "%s/%s", c->dir, name);
}

static hid_t open_expected(const Ctx *c) {
    char path[1024];
    fixture_path(c, "expected.h5", path, sizeof path);
    return h5Check(H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT));
}

/* A string attribute (fixed or variable length) of obj. */
static void read_str_attr(hid_t obj, const char *name, char *out, size_t n) {
    hid_t a = h5Check(H5Aopen(obj, name, H5P_DEFAULT));
    hid_t ft = h5Check(H5Aget_type(a));
    hid_t mt = h5Check(H5Tcopy(H5T_C_S1));
    h5Check(H5Tset_cset(mt, H5Tget_cset(ft)));
    if (H5Tis_variable_str(ft) > 0) {
        h5Check(H5Tset_size(mt, H5T_VARIABLE));
        char *s = NULL;
        h5Check(H5Aread(a, mt, &s));
        snprintf(out, n, "%s", s);
        H5free_memory(s);
    } else {
        size_t len = H5Tget_size(ft);
        assert_true(len < n);
        h5Check(H5Tset_size(mt, len + 1));
        h5Check(H5Aread(a, mt, out));
    }
    H5Tclose(mt);
    H5Tclose(ft);
    H5Aclose(a);
}

static void load_ok(const char *path, PtFile *f) {
    char err[1024];
    int rc = pt_load(path, f, err, sizeof err);
    if (rc != 0) fail_msg("%s", err);
}

/* Every tensor equals the float64 dataset of the same name, bit for bit after
 * rounding the expectation to float32; same shape; same count. */
static void compare_with_expected(hid_t h5, const char *fname, const PtFile *f) {
    hid_t g = h5Check(H5Gopen(h5, fname, H5P_DEFAULT));
    H5G_info_t info;
    h5Check(H5Gget_info(g, &info));
    assert_int_equal(f->count, (int)info.nlinks);
    for (int i = 0; i < f->count; i++) {
        const PtTensor *t = &f->tensors[i];
        if (H5Lexists(g, t->name, H5P_DEFAULT) <= 0)
            fail_msg("%s: tensor '%s' is not in PyTorch's state_dict", fname, t->name);
        hid_t ds = h5Check(H5Dopen(g, t->name, H5P_DEFAULT));
        hid_t sp = h5Check(H5Dget_space(ds));
        int nd = h5Check(H5Sget_simple_extent_ndims(sp));
        hsize_t dims[PT_MAX_DIMS] = {0};
        assert_int_equal(nd, t->ndim);
        h5Check(H5Sget_simple_extent_dims(sp, dims, NULL));
        for (int d = 0; d < nd; d++)
            assert_int_equal((int64_t)dims[d], t->shape[d]);
        double *want = mallocCheck((t->numel + 1) * sizeof *want); // (numel,)
        if (t->numel) h5Check(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, want));
        for (size_t k = 0; k < t->numel; k++) {
            float w = (float)want[k];
            if (memcmp(&w, &t->data[k], sizeof w) != 0)
                fail_msg("%s: %s[%zu] = %.9g, PyTorch has %.17g", fname, t->name, k,
                         (double)t->data[k], want[k]);
        }
        free(want);
        H5Sclose(sp);
        H5Dclose(ds);
    }
    H5Gclose(g);
}

static void check_good(const Ctx *c, const char *fname, const char *kind) {
    char path[1024];
    fixture_path(c, fname, path, sizeof path);
    PtFile f;
    load_ok(path, &f);
    assert_string_equal(f.kind, kind);
    assert_int_equal(f.known_release, 0);
    hid_t h5 = open_expected(c);
    compare_with_expected(h5, fname, &f);
    hid_t sha = h5Check(H5Gopen(h5, "sha256", H5P_DEFAULT));
    char want[80];
    read_str_attr(sha, fname, want, sizeof want);
    assert_string_equal(f.sha256, want);
    H5Gclose(sha);
    H5Fclose(h5);

    // the same bytes from memory give the same tensors
    FILE *fp = fopen(path, "rb");
    sysCheck(fp != NULL, "fixture missing: did ptload_fixtures run?");
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    uint8_t *buf = mallocCheck((size_t)len); // (len,) file bytes
    assert_int_equal(fread(buf, 1, (size_t)len, fp), (size_t)len);
    fclose(fp);
    PtFile m;
    char err[512];
    assert_int_equal(pt_load_memory(buf, (size_t)len, fname, &m, err, sizeof err), 0);
    assert_int_equal(m.count, f.count);
    assert_string_equal(m.sha256, f.sha256);
    for (int i = 0; i < f.count; i++) {
        assert_string_equal(m.tensors[i].name, f.tensors[i].name);
        assert_int_equal(m.tensors[i].numel, f.tensors[i].numel);
        assert_memory_equal(m.tensors[i].data, f.tensors[i].data,
                            f.tensors[i].numel * sizeof(float));
    }
    pt_free(&m);
    free(buf);
    pt_free(&f);
}

static void test_torchscript_fp16(void **state) {
    const Ctx *c = *state;
    check_good(c, "ts_fp16.pt", "torchscript");
    char path[1024];
    fixture_path(c, "ts_fp16.pt", path, sizeof path);
    PtFile f;
    load_ok(path, &f);
    const PtTensor *t = pt_find(&f, "visual.transformer.resblocks.1.attn.in_proj_weight");
    assert_non_null(t);
    assert_int_equal(t->ndim, 2);
    assert_int_equal(t->shape[0], 24);
    assert_int_equal(t->stored_dtype, PT_DTYPE_F16);
    assert_non_null(pt_find(&f, "logit_scale"));
    assert_int_equal(pt_find(&f, "logit_scale")->ndim, 0);
    assert_null(pt_find(&f, "visual.training"));
    pt_free(&f);
}

static void test_state_dicts(void **state) {
    const Ctx *c = *state;
    static const struct {
        const char *file;
        PtDtype dtype;
    } cases[] = {
        {"sd_fp32.pt", PT_DTYPE_F32}, {"sd_fp16.pt", PT_DTYPE_F16}, {"sd_bf16.pt", PT_DTYPE_BF16}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        check_good(c, cases[i].file, "state_dict");
        char path[1024];
        fixture_path(c, cases[i].file, path, sizeof path);
        PtFile f;
        load_ok(path, &f);
        assert_int_equal(f.count, 50);
        for (int k = 0; k < f.count; k++)
            assert_int_equal(f.tensors[k].stored_dtype, cases[i].dtype);
        // state dict order is PyTorch's
        assert_string_equal(f.tensors[0].name, "positional_embedding");
        assert_string_equal(f.tensors[f.count - 1].name, "ln_final.bias");
        pt_free(&f);
    }
}

static void test_views_and_dtypes(void **state) {
    const Ctx *c = *state;
    check_good(c, "views.pt", "state_dict");
    check_good(c, "handmade.pt", "state_dict");
    check_good(c, "nested.pt", "state_dict");
    char path[1024];
    fixture_path(c, "views.pt", path, sizeof path);
    PtFile f;
    load_ok(path, &f);
    assert_int_equal(pt_find(&f, "i64")->stored_dtype, PT_DTYPE_I64);
    assert_int_equal(pt_find(&f, "flag")->stored_dtype, PT_DTYPE_BOOL);
    assert_int_equal(pt_find(&f, "u8")->stored_dtype, PT_DTYPE_U8);
    assert_int_equal(pt_find(&f, "empty")->numel, 0);
    assert_int_equal(pt_find(&f, "scalar")->ndim, 0);
    pt_free(&f);
}

/* Load must fail, the message must name the file and contain `want`. */
static void expect_error(const Ctx *c, const char *fname, const char *want) {
    char path[1024], err[1024];
    fixture_path(c, fname, path, sizeof path);
    PtFile f;
    f.count = 123;
    int rc = pt_load(path, &f, err, sizeof err);
    if (rc == 0) fail_msg("%s loaded, expected an error containing \"%s\"", fname, want);
    assert_int_equal(rc, -1);
    assert_int_equal(f.count, 0);
    assert_null(f.tensors);
    if (strncmp(err, path, strlen(path)) != 0 || !strstr(err, want))
        fail_msg("%s: message \"%s\" lacks the file name or \"%s\"", fname, err, want);
}

static void test_bad_files(void **state) {
    const Ctx *c = *state;
    expect_error(c, "hostile.pt", "pickle global 'os.system' is not allowed");
    expect_error(c, "hostile_opcode.pt", "unsupported pickle opcode 0x69");
    expect_error(c, "hostile_stack_global.pt", "pickle global 'subprocess.Popen' is not allowed");
    expect_error(c, "cyclic.pt", "nested deeper than");
    expect_error(c, "dag_bomb.pt", "pickle object graph too large");
    expect_error(c, "tensor_bomb.pt", "more than 262144 tensors");
    expect_error(c, "oob_view.pt", "tensor reaches element 19 of a storage holding 16 elements");
    expect_error(c, "oob_offset.pt", "tensor reaches element 16 of a storage holding 16");
    expect_error(c, "neg_stride.pt", "sizes and strides must be non-negative");
    expect_error(c, "huge_size.pt", "tensor size overflows");
    expect_error(c, "missing_storage.pt", "storage entry 'miss/data/0' is missing");
    expect_error(c, "legacy.pt", "legacy (pre-1.6, non-zip) PyTorch format");
    expect_error(c, "legacy.pt", "torch.save(obj, path)");
    expect_error(c, "corrupt_crc.pt", "CRC error");
    expect_error(c, "truncated_0.pt", "not a PyTorch checkpoint");
    for (int i = 1; i < 6; i++) {
        char name[64];
        snprintf(name, sizeof name, "truncated_%d.pt", i);
        expect_error(c, name, "not a readable zip archive");
    }
    expect_error(c, "no_such_file.pt", "cannot open");

    hid_t h5 = open_expected(c);
    char entry[256], want[320];
    read_str_attr(h5, "short_storage_entry", entry, sizeof entry);
    H5Fclose(h5);
    snprintf(want, sizeof want, "storage '%s' holds 188 bytes but tensor", entry);
    expect_error(c, "short_storage.pt", want);
    expect_error(c, "short_storage.pt", "truncated or corrupt archive");
}

static uint8_t *read_fixture(const Ctx *c, const char *fname, size_t *len) {
    char path[1024];
    fixture_path(c, fname, path, sizeof path);
    FILE *fp = fopen(path, "rb");
    sysCheck(fp != NULL, "fixture missing: did ptload_fixtures run?");
    fseek(fp, 0, SEEK_END);
    *len = (size_t)ftell(fp);
    fseek(fp, 0, SEEK_SET);
    uint8_t *buf = mallocCheck(*len); // (len,) file bytes
    assert_int_equal(fread(buf, 1, *len, fp), *len);
    fclose(fp);
    return buf;
}

/* Every prefix of a small archive fails cleanly; every single-bit flip either
 * loads or fails with a message (no crash; run under ASan in the fuzz test). */
static void test_every_truncation_and_bit_flip(void **state) {
    const Ctx *c = *state;
    size_t len;
    uint8_t *buf = read_fixture(c, "handmade.pt", &len);
    uint8_t *copy = mallocCheck(len); // (len,) mutated bytes
    char err[512];
    PtFile f;
    for (size_t cut = 0; cut < len; cut++) {
        memcpy(copy, buf, cut);
        if (pt_load_memory(copy, cut, "cut.pt", &f, err, sizeof err) == 0)
            fail_msg("a %zu-byte prefix of a %zu-byte archive loaded", cut, len);
        assert_true(strncmp(err, "cut.pt: ", 8) == 0);
    }
    for (size_t i = 0; i < len; i++)
        for (int bit = 0; bit < 8; bit++) {
            memcpy(copy, buf, len);
            copy[i] ^= (uint8_t)(1u << bit);
            if (pt_load_memory(copy, len, "flip.pt", &f, err, sizeof err) == 0)
                pt_free(&f);
            else
                assert_true(strlen(err) > 9);
        }
    free(copy);
    free(buf);
}

static void test_sha256(void **state) {
    const Ctx *c = *state;
    hid_t h5 = open_expected(c);
    hid_t vec = h5Check(H5Gopen(h5, "sha256_buffers", H5P_DEFAULT));
    static const size_t lens[] = {0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 100000};
    uint8_t *buf = mallocCheck(100000); // (100000,) test pattern
    for (size_t i = 0; i < 100000; i++)
        buf[i] = (uint8_t)((7 * i + 3) % 256);
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        char name[32], want[80], got[65];
        snprintf(name, sizeof name, "%zu", lens[k]);
        read_str_attr(vec, name, want, sizeof want);
        drl_sha256_buffer(buf, lens[k], got);
        assert_string_equal(got, want);
        // streaming in odd pieces gives the same digest
        DrlSha256 s;
        uint8_t digest[32];
        drl_sha256_init(&s);
        for (size_t off = 0; off < lens[k]; off += 37)
            drl_sha256_update(&s, buf + off, lens[k] - off < 37 ? lens[k] - off : 37);
        drl_sha256_final(&s, digest);
        drl_sha256_hex(digest, got);
        assert_string_equal(got, want);
    }
    free(buf);
    H5Gclose(vec);
    // whole files, good and bad
    hid_t sha = h5Check(H5Gopen(h5, "sha256", H5P_DEFAULT));
    static const char *files[] = {"ts_fp16.pt", "sd_bf16.pt", "legacy.pt", "truncated_1.pt",
                                  "hostile.pt"};
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        char path[1024], want[80], got[65];
        fixture_path(c, files[k], path, sizeof path);
        read_str_attr(sha, files[k], want, sizeof want);
        assert_int_equal(drl_sha256_file(path, got), 0);
        assert_string_equal(got, want);
    }
    H5Gclose(sha);
    H5Fclose(h5);
    char hex[65];
    assert_int_equal(drl_sha256_file("/nonexistent/x.pt", hex), -1);
}

static void test_known_releases(void **state) {
    assert_string_equal(
        pt_known_release("40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af"),
        "ViT-B/32");
    assert_string_equal(
        pt_known_release("5806e77cd80f8b59890b7e101eabd078d9fb84e6937f9e85e4ecb61988df416f"),
        "ViT-B/16");
    assert_string_equal(
        pt_known_release("b8cca3fd41ae0c99ba7e8951adf17d267cdb84cd88be6f7c2e0eca1737a03836"),
        "ViT-L/14");
    assert_null(
        pt_known_release("0000000000000000000000000000000000000000000000000000000000000000"));
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s FIXTURE_DIR\n", argv[0]);
        return 2;
    }
    Ctx ctx = {argv[1]};
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_torchscript_fp16, &ctx),
        cmocka_unit_test_prestate(test_state_dicts, &ctx),
        cmocka_unit_test_prestate(test_views_and_dtypes, &ctx),
        cmocka_unit_test_prestate(test_bad_files, &ctx),
        cmocka_unit_test_prestate(test_every_truncation_and_bit_flip, &ctx),
        cmocka_unit_test_prestate(test_sha256, &ctx),
        cmocka_unit_test_prestate(test_known_releases, &ctx),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

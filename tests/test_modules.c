/* Backend modules (src/core/module.h): how the core finds them, and how it
 * refuses a missing, foreign, stale or unloadable one. The broken modules
 * are built from tests/modules/ into BRG_FAKE_MODULES/<kind>/. Failures are
 * never cached, so these run in any order; the one success comes last
 * (under CK_FORK=no a loaded module stays loaded). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static void use_backend_path(const char *kind)
{
    char path[4096];
    if (kind[0] == '/')
        snprintf(path, sizeof path, "%s", kind);
    else
        snprintf(path, sizeof path, "%s/%s", BRG_FAKE_MODULES, kind);
    ck_assert_int_eq(setenv("BRIGADE_BACKEND_PATH", path, 1), 0);
    unsetenv("BRIGADE_DEVICE");
}

/* Open spec, expect BRG_ERR_NO_DEVICE and every one of the words in the message. */
static void expect_no_device(const char *spec, const char *const *words, int n)
{
    brg_device *dev = (brg_device *)&dev;
    BRG_ASSERT_STATUS(brg_device_open(spec, &dev), BRG_ERR_NO_DEVICE);
    ck_assert_ptr_null(dev);
    for (int i = 0; i < n; i++)
        ck_assert_msg(strstr(brg_last_error(), words[i]), "'%s' not in: %s", words[i],
                      brg_last_error());
}

START_TEST(a_missing_module_names_the_file_and_where_it_looked)
{
    use_backend_path("/nonexistent/brigade-modules");
    const char *words[] = {"libbrigade-emu.so", "not found", "/nonexistent/brigade-modules"};
    expect_no_device("emu:32", words, 3);
    int count = -1;
    BRG_ASSERT_STATUS(brg_device_count("emu", &count), BRG_ERR_NO_DEVICE);
    ck_assert_int_eq(count, 0);
}
END_TEST

START_TEST(a_stale_module_is_refused_before_its_code_runs)
{
    /* Its brg_module_init aborts: reaching it would kill this test. */
    use_backend_path("stale");
    const char *words[] = {"libbrigade-emu.so", "module interface 999", "0.0.1-fake",
                           "needs interface"};
    expect_no_device("emu:64", words, 4);
}
END_TEST

START_TEST(a_foreign_library_is_not_a_module)
{
    use_backend_path("alien");
    const char *words[] = {"libbrigade-emu.so", "is not a brigade backend module"};
    expect_no_device("emu", words, 2);
}
END_TEST

START_TEST(a_module_whose_libraries_are_missing_gives_the_loader_text)
{
    use_backend_path("missing");
    const char *words[] = {"cannot load", "libbrigade-emu.so", "libbrg_fake_dep.so"};
    expect_no_device("emu:32", words, 3);
}
END_TEST

START_TEST(auto_passes_over_a_broken_module_to_the_cpu_and_says_why)
{
    use_backend_path("stale"); /* holds a stale libbrigade-cuda.so too */
    brg_device *dev = NULL;
    BRG_ASSERT_OK(brg_device_open("auto", &dev));
    ck_assert_str_eq(brg_device_spec(dev), "cpu");
    const char *d = brg_device_describe(dev);
    ck_assert_msg(strstr(d, "passed over") && strstr(d, "module interface 999"), "%s", d);
    brg_device_close(dev);
}
END_TEST

START_TEST(the_backend_path_is_searched_in_order)
{
#ifdef BRG_MODULE_DIR
    /* The first folder holding the file wins, even when it is broken. */
    char path[8192];
    snprintf(path, sizeof path, "/nonexistent:%s/alien:%s", BRG_FAKE_MODULES, BRG_MODULE_DIR);
    use_backend_path(path);
    const char *words[] = {"alien/libbrigade-emu.so", "is not a brigade backend module"};
    expect_no_device("emu:32", words, 2);
    /* Without it, the real module two folders on loads, and stays loaded. */
    snprintf(path, sizeof path, "/nonexistent:%s", BRG_MODULE_DIR);
    use_backend_path(path);
    brg_device *dev = NULL;
    BRG_ASSERT_OK(brg_device_open("emu:32", &dev));
    ck_assert_str_eq(brg_device_spec(dev), "emu:32");
    brg_device_close(dev);
    use_backend_path("/nonexistent/brigade-modules");
    BRG_ASSERT_OK(brg_device_open("emu:64", &dev));
    brg_device_close(dev);
    ck_assert_ptr_nonnull(strstr(brg_build_backends(), "emu"));
#endif
}
END_TEST

static Suite *modules_suite(void)
{
    Suite *s = suite_create("modules");
    TCase *tc = tcase_create("loader");
    tcase_add_test(tc, a_missing_module_names_the_file_and_where_it_looked);
    tcase_add_test(tc, a_stale_module_is_refused_before_its_code_runs);
    tcase_add_test(tc, a_foreign_library_is_not_a_module);
    tcase_add_test(tc, a_module_whose_libraries_are_missing_gives_the_loader_text);
    tcase_add_test(tc, auto_passes_over_a_broken_module_to_the_cpu_and_says_why);
    tcase_add_test(tc, the_backend_path_is_searched_in_order); /* last: it loads a module */
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    return brg_test_main(argc, argv, modules_suite);
}

/* Stand-ins for broken backend modules, to test how the core refuses them
 * (tests/test_modules.c). One source, built several ways:
 *   FAKE_ABI=N          exports brg_module_abi = N and an init that must
 *                       never run for a wrong N (it aborts);
 *   FAKE_NO_SYMBOLS     exports nothing brigade knows;
 *   FAKE_NEEDS_MISSING  is linked against a library that is not installed
 *                       anywhere the loader looks. */
#include <stdint.h>
#include <stdlib.h>

#define EXPORT __attribute__((visibility("default")))

#if defined(FAKE_ABI)
EXPORT const uint32_t brg_module_abi = FAKE_ABI;
EXPORT const char brg_module_version[] = "0.0.1-fake";
EXPORT const void *brg_module_init(const void *host)
{
    (void)host;
    abort(); /* a refused module's code must never be called */
}
#elif defined(FAKE_NEEDS_MISSING)
int brg_fake_missing_dependency(void);
EXPORT int brg_fake_uses_dependency(void)
{
    return brg_fake_missing_dependency();
}
#else
EXPORT int brg_fake_nothing_known(void)
{
    return 42;
}
#endif

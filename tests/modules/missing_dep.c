/* A library that a fake module needs and the loader cannot find. */
#define EXPORT __attribute__((visibility("default")))
EXPORT int brg_fake_missing_dependency(void)
{
    return 1;
}

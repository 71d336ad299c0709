/* bench --compare in a build without cJSON (bench/CMakeLists.txt): say so
 * rather than pretend the option does not exist. */
#include <stdio.h>

#include "compare.h"

int brg_bench_compare_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs("bench: --compare needs cJSON, which this build did not find: install it "
          "(Debian/Ubuntu: apt-get install libcjson-dev, or scripts/install-deps) and "
          "reconfigure\n", stderr);
    return 2;
}

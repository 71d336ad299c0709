#include "hostmem.h"

#include <stdio.h>
#include <unistd.h>

void brg_host_memory(size_t *available, size_t *total)
{
    long page = sysconf(_SC_PAGESIZE);
    long pages = sysconf(_SC_PHYS_PAGES), avail = sysconf(_SC_AVPHYS_PAGES);
    *total = pages > 0 && page > 0 ? (size_t)pages * (size_t)page : 0;
    *available = avail > 0 && page > 0 ? (size_t)avail * (size_t)page : 0;
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f) return;
    char line[256];
    unsigned long long kb;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) {
            *available = (size_t)kb * 1024;
            break;
        }
    fclose(f);
}

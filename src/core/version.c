#include "brigade/version.h"

const char *brg_version_string(void)
{
    return BRG_VERSION_STRING;
}

unsigned brg_version_number(void)
{
    return BRG_VERSION_NUMBER;
}

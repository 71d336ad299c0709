/* brigade — version. */
#ifndef BRIGADE_VERSION_H
#define BRIGADE_VERSION_H

#include "export.h"

#define BRG_VERSION_MAJOR 0
#define BRG_VERSION_MINOR 2
#define BRG_VERSION_PATCH 0
#define BRG_VERSION_NUMBER (BRG_VERSION_MAJOR * 10000 + BRG_VERSION_MINOR * 100 + BRG_VERSION_PATCH)
#define BRG_VERSION_STRING "0.2.0"

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version as "MAJOR.MINOR.PATCH"; may differ from the header's
 * BRG_VERSION_STRING when a program runs against another build. Static storage. */
BRG_API const char *brg_version_string(void);

/* BRG_VERSION_NUMBER of the library actually linked. */
BRG_API unsigned brg_version_number(void);

/* One line naming the backends compiled into this build, e.g.
 * "cpu cuda hip emu". Static storage. */
BRG_API const char *brg_build_backends(void);

#ifdef __cplusplus
}
#endif
#endif

/* brigade — the export macro.
 *
 * libbrigade.so is built with hidden visibility: BRG_API marks the functions
 * that make up its ABI, which are exactly the functions these headers
 * declare. Nothing else of the library is reachable from outside it. */
#ifndef BRIGADE_EXPORT_H
#define BRIGADE_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define BRG_API __attribute__((visibility("default")))
#else
#define BRG_API
#endif

#endif

/* The progress display: one line on stderr, rewritten in place ("\r" and
 * erase-to-end-of-line), saying what runs now, how many measurements are
 * done, and an estimate of the time left. Only on a terminal and without
 * --quiet (opts->progress); anything else printed clears the line first
 * (brg_bench_progress_clear), so the results on stdout and the line never
 * share a row.
 *
 * The estimate is the mean time per finished measurement times the
 * measurements left: crude when sizes differ (the seed suite's sizes span
 * five orders of magnitude), so it is shown as "~" and only after the
 * first measurement. */
#include "bench.h"

#include <stdarg.h>
#include <string.h>

static struct {
    int active;                      /* a line is on the terminal now */
    int total, done;
    int round, rounds;               /* rounds > 1: which round of the pass runs now */
    double start;
} prog;

void brg_bench_progress_plan(int total)
{
    prog.total = total;
    prog.done = 0;
    prog.start = brg_bench_now();
}

void brg_bench_progress_round(int round, int rounds)
{
    prog.round = round;
    prog.rounds = rounds;
}

void brg_bench_progress_step(void)
{
    prog.done++;
}

void brg_bench_progress_clear(void)
{
    if (!prog.active) return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    prog.active = 0;
}

static void eta_text(char *buf, size_t cap)
{
    buf[0] = '\0';
    if (prog.total <= 0) return;
    char round[32] = "";
    if (prog.rounds > 1) snprintf(round, sizeof round, ", round %d/%d", prog.round, prog.rounds);
    double elapsed = brg_bench_now() - prog.start;
    int left = prog.total - prog.done;
    if (prog.done == 0 || left <= 0) {
        snprintf(buf, cap, " [%d/%d%s]", prog.done, prog.total, round);
        return;
    }
    double eta = elapsed / prog.done * left;
    if (eta >= 3600)
        snprintf(buf, cap, " [%d/%d%s, ETA ~%dh%02dm]", prog.done, prog.total, round,
                 (int)(eta / 3600), (int)(eta / 60) % 60);
    else
        snprintf(buf, cap, " [%d/%d%s, ETA ~%dm%02ds]", prog.done, prog.total, round,
                 (int)(eta / 60), (int)eta % 60);
}

void brg_bench_progress(const brg_bench_options *opts, const char *fmt, ...)
{
    if (!opts->progress) return;
    char msg[512], eta[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    eta_text(eta, sizeof eta);
    fflush(stdout);
    /* Keep it on one row of an 80-column terminal or wider: the end of a
     * long message is cut, never wrapped. */
    size_t room = 78 > strlen(eta) + 8 ? 78 - strlen(eta) - 8 : 0;
    fprintf(stderr, "\r\033[Kbench%s: %.*s", eta, (int)room, msg);
    fflush(stderr);
    prog.active = 1;
}

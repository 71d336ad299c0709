/* Embedding brigade: the tutorial's big_array.reshape(n, -1).mean(axis=1)
 * on whatever device is there ("auto"), or on the device spec given as the
 * first argument. Built against the installed library. */
#include <brigade/brigade.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    enum { ROWS = 4, COLS = 1000 };
    static double x[ROWS * COLS];
    for (int i = 0; i < ROWS * COLS; i++) x[i] = i % COLS;
    brg_device *dev;
    if (brg_device_open(argc > 1 ? argv[1] : "auto", &dev) != BRG_OK) {
        fprintf(stderr, "%s\n", brg_last_error());
        return 1;
    }
    double means[ROWS];
    brg_status st = brg_mean_rows_f64(dev, x, ROWS, COLS, means);
    printf("%s\nmean of row 0: %g (%s), brigade %s\n", brg_device_describe(dev), means[0],
           brg_status_str(st), brg_version_string());
    brg_device_close(dev);
    return st == BRG_OK && means[0] == 499.5 ? 0 : 1;
}

/* MPI plumbing: MPI errors as brigade statuses, the error handler, and the
 * agreement of every rank on one status. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "mpi_impl.h"

brg_status brg_mpi_ready(MPI_Comm comm)
{
    int initialised = 0, finalised = 0;
    MPI_Initialized(&initialised);
    MPI_Finalized(&finalised);
    if (!initialised || finalised)
        return BRG_ERROR(BRG_ERR_INVALID_ARG, "MPI is %s", finalised ? "already finalised"
                                                                     : "not initialised (MPI_Init)");
    if (comm == MPI_COMM_NULL) return BRG_ERROR(BRG_ERR_INVALID_ARG, "comm is MPI_COMM_NULL");
    return BRG_OK;
}

brg_status brg_mpi_failed(int rc, const char *call)
{
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS) snprintf(text, sizeof text, "code %d", rc);
    return BRG_ERROR(BRG_ERR_WORKER, "%s failed: %s (did a rank die?)", call, text);
}

brg_status brg_mpi_handler_set(MPI_Comm comm, brg_mpi_handler *h)
{
    h->comm = comm;
    h->set = 0;
    int rc = MPI_Comm_get_errhandler(comm, &h->saved);
    if (rc != MPI_SUCCESS) return brg_mpi_failed(rc, "MPI_Comm_get_errhandler");
    rc = MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
    if (rc != MPI_SUCCESS) {
        MPI_Errhandler_free(&h->saved);
        return brg_mpi_failed(rc, "MPI_Comm_set_errhandler");
    }
    h->set = 1;
    return BRG_OK;
}

void brg_mpi_handler_restore(brg_mpi_handler *h)
{
    if (!h->set) return;
    MPI_Comm_set_errhandler(h->comm, h->saved);
    MPI_Errhandler_free(&h->saved);
    h->set = 0;
}

void brg_mpi_error_detail(char *buf, size_t size)
{
    const char *msg = brg_last_error(), *sep = strstr(msg, ": ");
    snprintf(buf, size, "%s", strncmp(msg, "BRG_", 4) == 0 && sep ? sep + 2 : msg);
}

/* One MPI_Allreduce (MIN) finds the lowest failing rank and its status at
 * once: rank * 32 + (-status) (statuses are -1 .. -10); the failing rank
 * then broadcasts its message. */
brg_status brg_mpi_agree(MPI_Comm comm, int rank, int size, brg_status local)
{
    int mine = local == BRG_OK ? INT_MAX : rank * 32 + (-(int)local & 31), first = INT_MAX;
    int rc = MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm);
    if (rc != MPI_SUCCESS) return brg_mpi_failed(rc, "MPI_Allreduce (status agreement)");
    if (first == INT_MAX) return BRG_OK;
    int failed = first / 32;
    brg_status status = (brg_status)(-(first % 32));
    char text[768] = {0}; /* all of it is sent */
    if (rank == failed) brg_mpi_error_detail(text, sizeof text);
    rc = MPI_Bcast(text, (int)sizeof text, MPI_CHAR, failed, comm);
    if (rc != MPI_SUCCESS) return brg_mpi_failed(rc, "MPI_Bcast (error message)");
    text[sizeof text - 1] = '\0';
    return BRG_ERROR(status, "rank %d of %d: %s", failed, size, text);
}

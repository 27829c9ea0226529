/* mpi.c — MPI for one process without an MPI library (mpi.h): ppexec's single-rank runs. */
#include "mpi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static size_t type_size(MPI_Datatype t)
{
    switch (t) {
    case MPI_INT: return sizeof(int);
    case MPI_FLOAT: return sizeof(float);
    case MPI_DOUBLE: return sizeof(double);
    default: return 1; /* MPI_BYTE, MPI_CHAR */
    }
}

/* out = in, count elements of type t (a collective over one process). */
static int copy(const void *in, void *out, int count, MPI_Datatype t)
{
    if (out && in && out != in && count > 0)
        memmove(out, in, (size_t)count * type_size(t));
    return MPI_SUCCESS;
}

int MPI_Init(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    return MPI_ERR_OTHER; /* asked for only under an MPI launcher, which this build cannot serve */
}

int MPI_Initialized(int *flag)
{
    *flag = 0;
    return MPI_SUCCESS;
}

int MPI_Finalize(void)
{
    return MPI_SUCCESS;
}

int MPI_Abort(MPI_Comm comm, int code)
{
    (void)comm;
    exit(code);
}

int MPI_Error_string(int code, char *text, int *len)
{
    *len = snprintf(text, MPI_MAX_ERROR_STRING, "%s",
                    code == MPI_SUCCESS ? "no error"
                                        : "this ppexec was built without MPI (-Dexec_mpi=none): "
                                          "it runs single-rank schedules as one process");
    return MPI_SUCCESS;
}

double MPI_Wtime(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int MPI_Comm_rank(MPI_Comm comm, int *rank)
{
    (void)comm;
    *rank = 0;
    return MPI_SUCCESS;
}

int MPI_Comm_size(MPI_Comm comm, int *size)
{
    (void)comm;
    *size = 1;
    return MPI_SUCCESS;
}

int MPI_Comm_dup(MPI_Comm comm, MPI_Comm *out)
{
    *out = comm;
    return MPI_SUCCESS;
}

int MPI_Comm_split_type(MPI_Comm comm, int type, int key, MPI_Info info, MPI_Comm *out)
{
    (void)type, (void)key, (void)info;
    *out = comm;
    return MPI_SUCCESS;
}

int MPI_Comm_free(MPI_Comm *comm)
{
    *comm = MPI_COMM_NULL;
    return MPI_SUCCESS;
}

int MPI_Barrier(MPI_Comm comm)
{
    (void)comm;
    return MPI_SUCCESS;
}

int MPI_Bcast(void *buf, int count, MPI_Datatype type, int root, MPI_Comm comm)
{
    (void)buf, (void)count, (void)type, (void)root, (void)comm;
    return MPI_SUCCESS;
}

int MPI_Allreduce(const void *in, void *out, int count, MPI_Datatype type, MPI_Op op,
                  MPI_Comm comm)
{
    (void)op, (void)comm;
    return copy(in, out, count, type);
}

int MPI_Reduce(const void *in, void *out, int count, MPI_Datatype type, MPI_Op op, int root,
               MPI_Comm comm)
{
    (void)op, (void)root, (void)comm;
    return copy(in, out, count, type);
}

int MPI_Gather(const void *in, int count, MPI_Datatype type, void *out, int outcount,
               MPI_Datatype outtype, int root, MPI_Comm comm)
{
    (void)outcount, (void)outtype, (void)root, (void)comm;
    return copy(in, out, count, type);
}

int MPI_Gatherv(const void *in, int count, MPI_Datatype type, void *out, const int *counts,
                const int *displs, MPI_Datatype outtype, int root, MPI_Comm comm)
{
    (void)counts, (void)outtype, (void)root, (void)comm;
    return copy(in, out ? (char *)out + (size_t)displs[0] * type_size(type) : NULL, count, type);
}

int MPI_Ibarrier(MPI_Comm comm, MPI_Request *req)
{
    *req = MPI_REQUEST_NULL;
    return MPI_Barrier(comm);
}

int MPI_Ibcast(void *buf, int count, MPI_Datatype type, int root, MPI_Comm comm,
               MPI_Request *req)
{
    *req = MPI_REQUEST_NULL;
    return MPI_Bcast(buf, count, type, root, comm);
}

int MPI_Iallreduce(const void *in, void *out, int count, MPI_Datatype type, MPI_Op op,
                   MPI_Comm comm, MPI_Request *req)
{
    *req = MPI_REQUEST_NULL;
    return MPI_Allreduce(in, out, count, type, op, comm);
}

int MPI_Ireduce(const void *in, void *out, int count, MPI_Datatype type, MPI_Op op, int root,
                MPI_Comm comm, MPI_Request *req)
{
    *req = MPI_REQUEST_NULL;
    return MPI_Reduce(in, out, count, type, op, root, comm);
}

int MPI_Igather(const void *in, int count, MPI_Datatype type, void *out, int outcount,
                MPI_Datatype outtype, int root, MPI_Comm comm, MPI_Request *req)
{
    *req = MPI_REQUEST_NULL;
    return MPI_Gather(in, count, type, out, outcount, outtype, root, comm);
}

int MPI_Igatherv(const void *in, int count, MPI_Datatype type, void *out, const int *counts,
                 const int *displs, MPI_Datatype outtype, int root, MPI_Comm comm,
                 MPI_Request *req)
{
    *req = MPI_REQUEST_NULL;
    return MPI_Gatherv(in, count, type, out, counts, displs, outtype, root, comm);
}

/* Point-to-point needs a second rank, which a run without MPI never has. */
int MPI_Send(const void *buf, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm)
{
    (void)buf, (void)count, (void)type, (void)dest, (void)tag, (void)comm;
    return MPI_ERR_OTHER;
}

int MPI_Recv(void *buf, int count, MPI_Datatype type, int src, int tag, MPI_Comm comm,
             MPI_Status *status)
{
    (void)buf, (void)count, (void)type, (void)src, (void)tag, (void)comm, (void)status;
    return MPI_ERR_OTHER;
}

int MPI_Isend(const void *buf, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm,
              MPI_Request *req)
{
    (void)buf, (void)count, (void)type, (void)dest, (void)tag, (void)comm;
    *req = MPI_REQUEST_NULL;
    return MPI_ERR_OTHER;
}

int MPI_Irecv(void *buf, int count, MPI_Datatype type, int src, int tag, MPI_Comm comm,
              MPI_Request *req)
{
    (void)buf, (void)count, (void)type, (void)src, (void)tag, (void)comm;
    *req = MPI_REQUEST_NULL;
    return MPI_ERR_OTHER;
}

int MPI_Test(MPI_Request *req, int *flag, MPI_Status *status)
{
    (void)req, (void)status;
    *flag = 1;
    return MPI_SUCCESS;
}

int MPI_Wait(MPI_Request *req, MPI_Status *status)
{
    (void)req, (void)status;
    return MPI_SUCCESS;
}

int MPI_Cancel(MPI_Request *req)
{
    (void)req;
    return MPI_SUCCESS;
}

int MPI_Request_free(MPI_Request *req)
{
    *req = MPI_REQUEST_NULL;
    return MPI_SUCCESS;
}

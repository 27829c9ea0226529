/* mpi.h — the part of MPI's C interface that ppexec uses, for a ppexec built without MPI
 * (meson -Dexec_mpi=none, as the GPU bundle is): one process, rank 0 of 1. Collectives copy their
 * input; point-to-point calls, which only runs of several ranks make, fail. MPI_Init fails too,
 * so ppexec started under an MPI launcher says it was built without MPI (exec/world.c). No MPI
 * library is needed at build or run time. The real mpi.h replaces this file in every other
 * build. */
#ifndef PPX_NOMPI_MPI_H
#define PPX_NOMPI_MPI_H

typedef int MPI_Comm;
typedef int MPI_Datatype;
typedef int MPI_Op;
typedef int MPI_Request;
typedef int MPI_Info;
typedef struct MPI_Status {
    int MPI_SOURCE, MPI_TAG, MPI_ERROR;
} MPI_Status;

enum { MPI_SUCCESS = 0, MPI_ERR_OTHER = 16 };
enum { MPI_COMM_NULL = 0, MPI_COMM_WORLD = 1 };
enum { MPI_BYTE = 1, MPI_CHAR, MPI_INT, MPI_FLOAT, MPI_DOUBLE };
enum { MPI_MIN = 1, MPI_MAX, MPI_SUM };
enum { MPI_REQUEST_NULL = 0, MPI_INFO_NULL = 0, MPI_COMM_TYPE_SHARED = 1 };
#define MPI_STATUS_IGNORE ((MPI_Status *)0)
#define MPI_MAX_ERROR_STRING 256

int MPI_Init(int *argc, char ***argv);
int MPI_Initialized(int *flag);
int MPI_Finalize(void);
int MPI_Abort(MPI_Comm comm, int code);
int MPI_Error_string(int code, char *text, int *len);
double MPI_Wtime(void);
int MPI_Comm_rank(MPI_Comm comm, int *rank);
int MPI_Comm_size(MPI_Comm comm, int *size);
int MPI_Comm_dup(MPI_Comm comm, MPI_Comm *out);
int MPI_Comm_split_type(MPI_Comm comm, int type, int key, MPI_Info info, MPI_Comm *out);
int MPI_Comm_free(MPI_Comm *comm);
int MPI_Barrier(MPI_Comm comm);
int MPI_Bcast(void *buf, int count, MPI_Datatype type, int root, MPI_Comm comm);
int MPI_Allreduce(const void *in, void *out, int count, MPI_Datatype type, MPI_Op op,
                  MPI_Comm comm);
int MPI_Reduce(const void *in, void *out, int count, MPI_Datatype type, MPI_Op op, int root,
               MPI_Comm comm);
int MPI_Gather(const void *in, int count, MPI_Datatype type, void *out, int outcount,
               MPI_Datatype outtype, int root, MPI_Comm comm);
int MPI_Gatherv(const void *in, int count, MPI_Datatype type, void *out, const int *counts,
                const int *displs, MPI_Datatype outtype, int root, MPI_Comm comm);
/* The non-blocking collectives complete at once (MPI_Test then says so). */
int MPI_Ibarrier(MPI_Comm comm, MPI_Request *req);
int MPI_Ibcast(void *buf, int count, MPI_Datatype type, int root, MPI_Comm comm,
               MPI_Request *req);
int MPI_Iallreduce(const void *in, void *out, int count, MPI_Datatype type, MPI_Op op,
                   MPI_Comm comm, MPI_Request *req);
int MPI_Ireduce(const void *in, void *out, int count, MPI_Datatype type, MPI_Op op, int root,
                MPI_Comm comm, MPI_Request *req);
int MPI_Igather(const void *in, int count, MPI_Datatype type, void *out, int outcount,
                MPI_Datatype outtype, int root, MPI_Comm comm, MPI_Request *req);
int MPI_Igatherv(const void *in, int count, MPI_Datatype type, void *out, const int *counts,
                 const int *displs, MPI_Datatype outtype, int root, MPI_Comm comm,
                 MPI_Request *req);
int MPI_Send(const void *buf, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm);
int MPI_Recv(void *buf, int count, MPI_Datatype type, int src, int tag, MPI_Comm comm,
             MPI_Status *status);
int MPI_Isend(const void *buf, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm,
              MPI_Request *req);
int MPI_Irecv(void *buf, int count, MPI_Datatype type, int src, int tag, MPI_Comm comm,
              MPI_Request *req);
int MPI_Test(MPI_Request *req, int *flag, MPI_Status *status);
int MPI_Wait(MPI_Request *req, MPI_Status *status);
int MPI_Cancel(MPI_Request *req);
int MPI_Request_free(MPI_Request *req);

#endif

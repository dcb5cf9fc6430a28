#ifndef CSPAWN_SHIM_H
#define CSPAWN_SHIM_H
/* glibc's pipe2 and posix_spawn extensions (2.29 / 2.34) are declared only under _GNU_SOURCE, which
   Swift's Glibc module is not built with: declared here, called through inline wrappers. */
#include <spawn.h>

extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *, int);
extern int posix_spawn_file_actions_addchdir_np(posix_spawn_file_actions_t *__restrict, const char *__restrict);
extern int pipe2(int pipefd[2], int flags);

/* A pipe whose both ends are close-on-exec (no window in which another thread's spawn inherits it). */
static inline int cspawn_pipe_cloexec(int fds[2]) {
    return pipe2(fds, 02000000 /* O_CLOEXEC */);
}

/* Close every descriptor >= from in the child (after the dup2 actions before it). */
static inline int cspawn_addclosefrom(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}

/* Change to path in the child before exec. */
static inline int cspawn_addchdir(posix_spawn_file_actions_t *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np(actions, path);
}
#endif

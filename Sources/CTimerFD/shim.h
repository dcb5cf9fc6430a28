#ifndef CTIMERFD_SHIM_H
#define CTIMERFD_SHIM_H
/* timerfd, which Swift's Glibc module does not include: how a process learns that the wall clock
   was set (systemd's calendar timers learn it the same way). */
#include <errno.h>
#include <stdint.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

/* A non-blocking timerfd on CLOCK_REALTIME armed for the end of time with TFD_TIMER_CANCEL_ON_SET:
   the kernel makes it readable, its read failing with ECANCELED, when the clock is set
   discontinuously (clock_settime, date -s, an NTP step; not a slew). -1 with errno when it cannot
   be made. */
static inline int ctimerfd_open_wall_step_watch(void) {
    int fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
    if (fd < 0) return -1;
    struct itimerspec spec = {0};
    spec.it_value.tv_sec = (time_t)((((uint64_t)1) << (sizeof(time_t) * 8 - 1)) - 1);
    if (timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &spec, NULL) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

/* Reads the watch: 1 the clock was set; 0 nothing yet (spurious wakeup); -1 the timer expired
   or the read failed (an interposed clock, e.g. libfaketime, moved the deadline: the watch tells
   nothing). */
static inline int ctimerfd_read_wall_step_watch(int fd) {
    uint64_t expirations;
    ssize_t n = read(fd, &expirations, sizeof expirations);
    if (n < 0 && errno == ECANCELED) return 1;
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
    return -1;
}
#endif

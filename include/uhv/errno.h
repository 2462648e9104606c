/* Negative-errno convention: functions return 0 or a positive count on
 * success and -E... on failure. Values follow Linux so that host unit tests,
 * which may also see <errno.h>, agree with the hypervisor build. */
#ifndef UHV_ERRNO_H
#define UHV_ERRNO_H

#ifndef EPERM
#define EPERM		1
#define ENOENT		2
#define EIO		5
#define E2BIG		7
#define ENOEXEC		8
#define ENOMEM		12
#define EFAULT		14
#define EBUSY		16
#define EEXIST		17
#define ENODEV		19
#define EINVAL		22
#define ENOSPC		28
#define ERANGE		34
#define ENOSYS		38
#define EOVERFLOW	75
#define EBADMSG		74
#define EOPNOTSUPP	95
#define ETIMEDOUT	110
#endif

const char *errno_name(int err);	/* "EINVAL" for -22 or 22 (lib/errno.c) */

#endif

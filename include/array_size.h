/* array_size.h: the number of elements of an array, for kernel and user side alike. */
#ifndef DN_ARRAY_SIZE_H
#define DN_ARRAY_SIZE_H

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif

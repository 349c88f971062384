/*
 * mem.h - allocation that never returns NULL to the caller.
 *
 * mem_alloc(), mem_calloc(), mem_realloc(), mem_strdup() and mem_strndup()
 * either succeed or log "out of memory" to stderr and abort the process:
 * no caller ever checks for NULL.  mem_wipe() clears a buffer in a way the
 * compiler may not optimise out (for key material).
 */
#ifndef REPGUARD_MEM_H
#define REPGUARD_MEM_H

#include <stddef.h>

void	*mem_alloc(size_t size);
void	*mem_calloc(size_t n, size_t size);
void	*mem_realloc(void *ptr, size_t size);
char	*mem_strdup(const char *s);
char	*mem_strndup(const char *s, size_t len);
void	 mem_wipe(void *ptr, size_t len);

#endif

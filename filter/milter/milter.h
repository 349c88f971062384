/*
 * milter.h - repguard's libmilter callbacks.
 *
 *	milter_init(store, tally, shape);	once, before smfi_main()
 *	milter_set_cluster(cluster);		with Cluster: ClusterOnDown
 *						tempfail asks it
 *	smfi_register(*milter_desc());
 *	...smfi_main() returned...
 *	milter_quiesce(ms);		refuse new work, wait for callbacks
 *					that use the store or tally
 *
 * The callbacks read the MTA's macros, ask policy/ for a decision and map
 * the answer to SMFIS_*; every connection holds a reference to the
 * configuration snapshot that was current when it connected.
 */
#ifndef REPGUARD_MILTER_H
#define REPGUARD_MILTER_H

#include <libmilter/mfapi.h>

#include "cluster/cluster.h"
#include "shaping/shape.h"
#include "store/store.h"
#include "reputation/tally.h"

void			 milter_init(STORE *, TALLY *, SHAPE *);
void			 milter_set_cluster(const CLUSTER *);
int			 milter_quiesce(unsigned ms);
struct smfiDesc		*milter_desc(void);

#endif

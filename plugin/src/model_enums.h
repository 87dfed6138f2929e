/* model_enums - the model's own enums (object kind, phase, lock mode) and the one place where
 * they meet the wire's (proto/neosync/plugin/v1/plan.proto, options.proto). The catalog, the
 * planner and the executors decide in these; the plan's steps carry the wire's values, read
 * with nsp_step_kind() and friends and written with nsp_kind_wire() and friends. Each list
 * below names a model value and its wire value once: the enum and both conversions are made
 * from it, so they cannot disagree. A step's outcome (NSP_STATUS_*) exists only on the wire
 * (results.c writes it into the response): those are names of the wire's values. */
#ifndef NSP_MODEL_ENUMS_H
#define NSP_MODEL_ENUMS_H

#include "neosync/plugin/v1/plan.pb-c.h"

#define NSP_WIRE_KIND(x) NEOSYNC__PLUGIN__V1__OBJECT_KIND__OBJECT_KIND_##x
#define NSP_WIRE_LOCK(x) NEOSYNC__PLUGIN__V1__LOCK_MODE__LOCK_MODE_##x

/* What a step creates or sets: X(model name, wire value). */
#define NSP_KINDS(X) \
	X(NSP_KIND_UNSPECIFIED, NSP_WIRE_KIND(UNSPECIFIED)) \
	X(NSP_KIND_SCHEMA, NSP_WIRE_KIND(SCHEMA)) \
	X(NSP_KIND_EXTENSION, NSP_WIRE_KIND(EXTENSION)) \
	X(NSP_KIND_COLLATION, NSP_WIRE_KIND(COLLATION)) \
	X(NSP_KIND_TYPE, NSP_WIRE_KIND(TYPE)) \
	X(NSP_KIND_DOMAIN, NSP_WIRE_KIND(DOMAIN)) \
	X(NSP_KIND_DOMAIN_CONSTRAINT, NSP_WIRE_KIND(DOMAIN_CONSTRAINT)) \
	X(NSP_KIND_FUNCTION, NSP_WIRE_KIND(FUNCTION)) \
	X(NSP_KIND_AGGREGATE, NSP_WIRE_KIND(AGGREGATE)) \
	X(NSP_KIND_OPERATOR, NSP_WIRE_KIND(OPERATOR)) \
	X(NSP_KIND_CAST, NSP_WIRE_KIND(CAST)) \
	X(NSP_KIND_SEQUENCE, NSP_WIRE_KIND(SEQUENCE)) \
	X(NSP_KIND_TABLE, NSP_WIRE_KIND(TABLE)) \
	X(NSP_KIND_PARTITION_ATTACH, NSP_WIRE_KIND(PARTITION_ATTACH)) \
	X(NSP_KIND_PRIMARY_KEY, NSP_WIRE_KIND(PRIMARY_KEY)) \
	X(NSP_KIND_UNIQUE_CONSTRAINT, NSP_WIRE_KIND(UNIQUE_CONSTRAINT)) \
	X(NSP_KIND_EXCLUSION_CONSTRAINT, NSP_WIRE_KIND(EXCLUSION_CONSTRAINT)) \
	X(NSP_KIND_CHECK_CONSTRAINT, NSP_WIRE_KIND(CHECK_CONSTRAINT)) \
	X(NSP_KIND_FOREIGN_KEY, NSP_WIRE_KIND(FOREIGN_KEY)) \
	X(NSP_KIND_INDEX, NSP_WIRE_KIND(INDEX)) \
	X(NSP_KIND_INDEX_ATTACH, NSP_WIRE_KIND(INDEX_ATTACH)) \
	X(NSP_KIND_TRIGGER, NSP_WIRE_KIND(TRIGGER)) \
	X(NSP_KIND_RULE, NSP_WIRE_KIND(RULE)) \
	X(NSP_KIND_VIEW, NSP_WIRE_KIND(VIEW)) \
	X(NSP_KIND_MATERIALIZED_VIEW, NSP_WIRE_KIND(MATERIALIZED_VIEW)) \
	X(NSP_KIND_MATVIEW_REFRESH, NSP_WIRE_KIND(MATVIEW_REFRESH)) \
	X(NSP_KIND_POLICY, NSP_WIRE_KIND(POLICY)) \
	X(NSP_KIND_ROW_SECURITY, NSP_WIRE_KIND(ROW_SECURITY)) \
	X(NSP_KIND_STATISTICS, NSP_WIRE_KIND(STATISTICS)) \
	X(NSP_KIND_SEQUENCE_VALUE, NSP_WIRE_KIND(SEQUENCE_VALUE)) \
	X(NSP_KIND_IDENTITY, NSP_WIRE_KIND(IDENTITY)) \
	X(NSP_KIND_COMMENT, NSP_WIRE_KIND(COMMENT)) \
	X(NSP_KIND_OWNER, NSP_WIRE_KIND(OWNER)) \
	X(NSP_KIND_ACL, NSP_WIRE_KIND(ACL)) \
	X(NSP_KIND_TABLE_PROPERTY, NSP_WIRE_KIND(TABLE_PROPERTY)) \
	X(NSP_KIND_TEXT_SEARCH, NSP_WIRE_KIND(TEXT_SEARCH))

/* When a step runs: before the rows are loaded, or after. */
#define NSP_PHASES(X) \
	X(NSP_PHASE_UNSPECIFIED, NEOSYNC__PLUGIN__V1__PHASE__PHASE_UNSPECIFIED) \
	X(NSP_PHASE_PRE, NEOSYNC__PLUGIN__V1__PHASE__PHASE_PRE_SYNC) \
	X(NSP_PHASE_POST, NEOSYNC__PLUGIN__V1__PHASE__PHASE_POST_SYNC)

/* The table lock a step takes (PostgreSQL's lock modes, weakest first). */
#define NSP_LOCKS(X) \
	X(NSP_LOCK_UNSPECIFIED, NSP_WIRE_LOCK(UNSPECIFIED)) \
	X(NSP_LOCK_ACCESS_SHARE, NSP_WIRE_LOCK(ACCESS_SHARE)) \
	X(NSP_LOCK_ROW_SHARE, NSP_WIRE_LOCK(ROW_SHARE)) \
	X(NSP_LOCK_ROW_EXCLUSIVE, NSP_WIRE_LOCK(ROW_EXCLUSIVE)) \
	X(NSP_LOCK_SHARE_UPDATE_EXCLUSIVE, NSP_WIRE_LOCK(SHARE_UPDATE_EXCLUSIVE)) \
	X(NSP_LOCK_SHARE, NSP_WIRE_LOCK(SHARE)) \
	X(NSP_LOCK_SHARE_ROW_EXCLUSIVE, NSP_WIRE_LOCK(SHARE_ROW_EXCLUSIVE)) \
	X(NSP_LOCK_EXCLUSIVE, NSP_WIRE_LOCK(EXCLUSIVE)) \
	X(NSP_LOCK_ACCESS_EXCLUSIVE, NSP_WIRE_LOCK(ACCESS_EXCLUSIVE))

#define NSP_ENUM_MEMBER(name, wire) name,
typedef enum nsp_kind { NSP_KINDS(NSP_ENUM_MEMBER) } nsp_kind;
typedef enum nsp_phase { NSP_PHASES(NSP_ENUM_MEMBER) } nsp_phase;
typedef enum nsp_lock_mode { NSP_LOCKS(NSP_ENUM_MEMBER) } nsp_lock_mode;
#undef NSP_ENUM_MEMBER

/* Model to wire (model_enums.c). */
Neosync__Plugin__V1__ObjectKind nsp_kind_wire(nsp_kind kind);
Neosync__Plugin__V1__Phase nsp_phase_wire(nsp_phase phase);
Neosync__Plugin__V1__LockMode nsp_lock_wire(nsp_lock_mode mode);
/* Wire to model; a value this build does not know (a newer peer's) is UNSPECIFIED. */
nsp_kind nsp_kind_of(Neosync__Plugin__V1__ObjectKind kind);
nsp_phase nsp_phase_of(Neosync__Plugin__V1__Phase phase);
nsp_lock_mode nsp_lock_of(Neosync__Plugin__V1__LockMode mode);

/* A plan step's kind and phase, and a lock's mode, in the model's terms. */
#define nsp_step_kind(step) nsp_kind_of((step)->kind)
#define nsp_step_phase(step) nsp_phase_of((step)->phase)
#define nsp_lock_ref_mode(lock) nsp_lock_of((lock)->mode)

/* A step's outcome (the wire's values: it exists nowhere else). */
#define NSP_STATUS_UNSPECIFIED             NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_UNSPECIFIED
#define NSP_STATUS_APPLIED                 NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_APPLIED
#define NSP_STATUS_FAILED                  NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_FAILED
#define NSP_STATUS_SKIPPED                 NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_SKIPPED
#define NSP_STATUS_UNCHANGED               NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_UNCHANGED
#define NSP_STATUS_CONFLICT                NEOSYNC__PLUGIN__V1__STEP_STATUS__STEP_STATUS_CONFLICT

#endif

/* model_enums - the model's enums to the wire's and back, from the lists of model_enums.h. */
#include "model_enums.h"

#define TO_WIRE(name, wire) \
	case name:          \
		return wire;
#define OF_WIRE(name, wire) \
	case wire:          \
		return name;

Neosync__Plugin__V1__ObjectKind nsp_kind_wire(nsp_kind kind)
{
	switch (kind) {
		NSP_KINDS(TO_WIRE)
	}
	return NSP_WIRE_KIND(UNSPECIFIED);
}

Neosync__Plugin__V1__Phase nsp_phase_wire(nsp_phase phase)
{
	switch (phase) {
		NSP_PHASES(TO_WIRE)
	}
	return NEOSYNC__PLUGIN__V1__PHASE__PHASE_UNSPECIFIED;
}

Neosync__Plugin__V1__LockMode nsp_lock_wire(nsp_lock_mode mode)
{
	switch (mode) {
		NSP_LOCKS(TO_WIRE)
	}
	return NSP_WIRE_LOCK(UNSPECIFIED);
}

nsp_kind nsp_kind_of(Neosync__Plugin__V1__ObjectKind kind)
{
	switch (kind) {
		NSP_KINDS(OF_WIRE)
	default:
		return NSP_KIND_UNSPECIFIED;
	}
}

nsp_phase nsp_phase_of(Neosync__Plugin__V1__Phase phase)
{
	switch (phase) {
		NSP_PHASES(OF_WIRE)
	default:
		return NSP_PHASE_UNSPECIFIED;
	}
}

nsp_lock_mode nsp_lock_of(Neosync__Plugin__V1__LockMode mode)
{
	switch (mode) {
		NSP_LOCKS(OF_WIRE)
	default:
		return NSP_LOCK_UNSPECIFIED;
	}
}

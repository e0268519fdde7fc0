/* libvitrine.so is the whole of libvitrine_mobile.a (linked with --whole-archive) with the
 * exports cut down to vt_* by vitrine.map. A shared library target needs one source of its own;
 * this one also checks that vitrine.h compiles as plain C. */
#include "vitrine.h"

typedef vt_status vt_mobile_exports_unit;

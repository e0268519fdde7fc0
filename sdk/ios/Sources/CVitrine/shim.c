/* SwiftPM needs one source file in a C target; the implementation is the prebuilt
 * VitrineCore.xcframework (sdk/mobile built for iOS). */
#include "vitrine.h"

typedef vt_status cvitrine_shim_unit;

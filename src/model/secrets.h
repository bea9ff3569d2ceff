// The secrets in a volume's setting, as JuiceFS keeps them: `juicefs format`
// seals SecretKey, SessionToken and EncryptKey with AES-128-GCM under the MD5
// of the volume's UUID (each stored as base64 of nonce || ciphertext || tag)
// and sets KeyEncrypted. Readers open them before use; writers seal them
// again, so a setting jfsbr rewrites is one JuiceFS reads.
#pragma once

#include "model/setting.h"

namespace jfsbr {

// The setting with its secrets in plain text (KeyEncrypted false). A secret
// that reads "removed" (a dump without secrets) stays so.
Result<VolumeFormat> OpenSecrets(VolumeFormat f);
// The setting with its secrets sealed (KeyEncrypted true), as `juicefs
// format` stores it; unchanged if already sealed or there is no secret.
Result<VolumeFormat> SealSecrets(VolumeFormat f);

}  // namespace jfsbr

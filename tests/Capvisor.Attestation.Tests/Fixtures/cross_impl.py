#!/usr/bin/env python3
"""An independent CCA token maker and checker, for cross-checking Capvisor.Attestation.

Written only against Python's cbor2 and cryptography (Debian python3-cbor2,
python3-cryptography); it shares no code with the C# library.

usage:
  cross_impl.py make OUTDIR     fresh CPAK and RAK; writes OUTDIR/cpak.pem, OUTDIR/cpak.jwk.json,
                                one NAME.cbor per token variant and OUTDIR/expected.json
                                (NAME -> the check that must fail, or "None" when valid)
  cross_impl.py diag FILE        prints the hex of the CBOR that a diagnostic-notation file
                                describes (the subset Veraison's vectors use: maps, arrays,
                                integers, "text", h'hex', tags, <<embedded>>, / comments /)
  cross_impl.py verify TOKEN CPAK_PEM
                                prints "ok" and exits 0 when TOKEN is valid, else prints the
                                reason and exits 1
"""
import base64
import hashlib
import json
import os
import re
import sys

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

PLATFORM_PROFILE = "tag:arm.com,2023:cca_platform#1.0.0"
LEGACY_PLATFORM_PROFILE = "http://arm.com/CCA-SSD/1.0.0"
REALM_PROFILE = "tag:arm.com,2023:realm#1.0.0"
ALGS = {"secp256r1": (-7, hashes.SHA256(), 32), "secp384r1": (-35, hashes.SHA384(), 48), "secp521r1": (-36, hashes.SHA512(), 66)}
HASHES = {"sha-256": hashlib.sha256, "sha-384": hashlib.sha384, "sha-512": hashlib.sha512}


def sign1(payload: bytes, key) -> bytes:
    alg, hash_alg, size = ALGS[key.curve.name]
    protected = cbor2.dumps({1: alg})
    tbs = cbor2.dumps(["Signature1", protected, b"", payload])
    r, s = decode_dss_signature(key.sign(tbs, ec.ECDSA(hash_alg)))
    return cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, r.to_bytes(size, "big") + s.to_bytes(size, "big")]))


def verify1(message: bytes, public_key):
    tag = cbor2.loads(message)
    if not isinstance(tag, cbor2.CBORTag) or tag.tag != 18 or len(tag.value) != 4:
        raise ValueError("not a tagged COSE_Sign1")
    protected, _, payload, signature = tag.value
    alg, hash_alg, size = ALGS[public_key.curve.name]
    if cbor2.loads(protected).get(1) != alg:
        raise ValueError("algorithm does not match the key")
    if len(signature) != 2 * size:
        raise ValueError("bad signature length")
    tbs = cbor2.dumps(["Signature1", protected, b"", payload])
    der = encode_dss_signature(int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big"))
    public_key.verify(der, tbs, ec.ECDSA(hash_alg))
    return cbor2.loads(payload)


def cose_key(public_key) -> bytes:
    n = public_key.public_numbers()
    size = ALGS[public_key.curve.name][2]
    crv = {"secp256r1": 1, "secp384r1": 2, "secp521r1": 3}[public_key.curve.name]
    return cbor2.dumps({1: 2, -1: crv, -2: n.x.to_bytes(size, "big"), -3: n.y.to_bytes(size, "big")})


def raw_point(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def collection(platform: bytes, realm: bytes, tag=399) -> bytes:
    if tag == 907:
        return cbor2.dumps(cbor2.CBORTag(907, {44234: [263, platform], 44241: [263, realm]}))
    return cbor2.dumps(cbor2.CBORTag(399, {44234: platform, 44241: realm}))


def realm_claims(rak_claim: bytes, rak_hash="sha-256", profile=REALM_PROFILE):
    # TF-RMM's emission order: 10, 44235, 44237, 44236, 44240, 265, 44238, 44239.
    claims = {
        10: os.urandom(64),
        44235: bytes(range(64)),
        44237: rak_claim,
        44236: "sha-256",
        44240: rak_hash,
        265: profile,
        44238: hashlib.sha256(b"rim").digest(),
        44239: [bytes(32), bytes(32), bytes(32), bytes(32)],
    }
    if profile is None:
        del claims[265]
    return claims


def platform_claims(challenge: bytes, profile=PLATFORM_PROFILE):
    return {
        265: profile,
        10: challenge,
        2396: hashlib.sha256(b"implementation").digest(),
        256: b"\x01" + hashlib.sha256(b"instance").digest(),
        2401: b"\xcf\xcf",
        2395: 0x3000,
        2399: [{1: "RMM", 2: hashlib.sha256(b"rmm").digest(), 4: "1.0", 5: hashlib.sha256(b"signer").digest(), 6: "sha-256"}],
        2400: "https://veraison.example/v1/challenge-response",
        2402: "sha-256",
    }


def make(out: str):
    os.makedirs(out, exist_ok=True)
    cpak = ec.generate_private_key(ec.SECP384R1())
    rak = ec.generate_private_key(ec.SECP384R1())
    other = ec.generate_private_key(ec.SECP384R1())
    with open(os.path.join(out, "cpak.pem"), "wb") as f:
        f.write(cpak.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    n = cpak.public_key().public_numbers()
    b64 = lambda v: base64.urlsafe_b64encode(v.to_bytes(48, "big")).rstrip(b"=").decode()
    with open(os.path.join(out, "cpak.jwk.json"), "w") as f:
        json.dump({"kty": "EC", "crv": "P-384", "x": b64(n.x), "y": b64(n.y)}, f)

    rak_cose = cose_key(rak.public_key())
    binder = hashlib.sha256(rak_cose).digest()
    expected = {}

    def emit(name, check, platform, realm, tag=399, platform_key=cpak, realm_key=rak, raw=None):
        data = raw if raw is not None else collection(
            sign1(cbor2.dumps(platform), platform_key), sign1(cbor2.dumps(realm), realm_key), tag)
        with open(os.path.join(out, name + ".cbor"), "wb") as f:
            f.write(data)
        expected[name] = check

    good_realm = realm_claims(rak_cose)
    good_platform = platform_claims(binder)
    emit("valid", "None", good_platform, good_realm)
    emit("valid-907", "None", good_platform, good_realm, tag=907)
    sha512_realm = realm_claims(rak_cose, "sha-512")
    emit("valid-sha512-binding", "None", platform_claims(hashlib.sha512(rak_cose).digest()), sha512_realm)
    legacy_rak = raw_point(rak.public_key())
    emit("valid-legacy", "None", platform_claims(hashlib.sha256(legacy_rak).digest(), LEGACY_PLATFORM_PROFILE),
         realm_claims(legacy_rak, profile=None))
    p256 = ec.generate_private_key(ec.SECP256R1())
    emit("valid-es256-platform", "None", good_platform, good_realm, platform_key=p256)
    expected_keys = {"valid-es256-platform": p256}

    emit("bad-platform-signature", "PlatformSignature", good_platform, good_realm, platform_key=other)
    emit("bad-realm-signature", "RealmSignature", good_platform, good_realm, realm_key=other)
    emit("bad-binding", "Binding", platform_claims(hashlib.sha256(cose_key(other.public_key())).digest()), good_realm)
    emit("bad-binding-hash-alg", "Binding", good_platform, realm_claims(rak_cose, "sha-384"))
    emit("unknown-realm-profile", "RealmClaims", good_platform, realm_claims(rak_cose, profile="tag:arm.com,2024:realm#2.0.0"))
    emit("unknown-platform-profile", "PlatformClaims", platform_claims(binder, "http://arm.com/PSA-SSD/1.0.0"), good_realm)
    for key, name in [(10, "challenge"), (44235, "rpv"), (44238, "rim"), (44239, "rems"), (44236, "hash-alg"), (44237, "rak"), (44240, "rak-hash-alg")]:
        claims = dict(good_realm)
        del claims[key]
        emit("missing-realm-" + name, "RealmClaims", good_platform, claims)
    for key, name in [(265, "profile"), (10, "challenge"), (2396, "implementation-id"), (256, "instance-id"), (2401, "config"),
                      (2395, "lifecycle"), (2399, "sw-components"), (2402, "hash-alg")]:
        claims = dict(good_platform)
        del claims[key]
        emit("missing-platform-" + name, "PlatformClaims", claims, good_realm)
    malformed_realm = {
        "short-challenge": {10: os.urandom(63)},
        "text-challenge": {10: "x" * 64},
        "two-challenges": {10: [os.urandom(64), os.urandom(64)]},
        "short-rpv": {44235: bytes(32)},
        "rim-33": {44238: bytes(33)},
        "three-rems": {44239: [bytes(32)] * 3},
        "rem-31": {44239: [bytes(32)] * 3 + [bytes(31)]},
        "rak-raw-with-profile": {44237: raw_point(rak.public_key())},
        "rak-not-cbor": {44237: b"\xff" * 107},
        "rak-okp": {44237: cbor2.dumps({1: 1, -1: 6, -2: bytes(32)})},
        "empty-hash-alg": {44236: ""},
    }
    for name, change in malformed_realm.items():
        emit("malformed-realm-" + name, "RealmClaims", good_platform, {**good_realm, **change})
    malformed_platform = {
        "short-challenge": {10: bytes(20)},
        "two-nonces": {10: [binder, binder]},
        "implementation-id-31": {2396: bytes(31)},
        "instance-id-type": {256: b"\x02" + bytes(32)},
        "lifecycle-0x7f35": {2395: 0x7F35},
        "lifecycle-text": {2395: "secured"},
        "sw-component-no-signer": {2399: [{2: bytes(32)}]},
        "sw-components-empty": {2399: []},
        "hash-alg-none": {2402: "none"},
        "vsi-empty": {2400: ""},
    }
    for name, change in malformed_platform.items():
        emit("malformed-platform-" + name, "PlatformClaims", {**good_platform, **change}, good_realm)

    platform_token = sign1(cbor2.dumps(good_platform), cpak)
    realm_token = sign1(cbor2.dumps(good_realm), rak)
    emit("envelope-tag-400", "Format", None, None, raw=cbor2.dumps(cbor2.CBORTag(400, {44234: platform_token, 44241: realm_token})))
    emit("envelope-extra-entry", "Format", None, None, raw=cbor2.dumps(cbor2.CBORTag(399, {44234: platform_token, 44241: realm_token, 1: b""})))
    emit("envelope-no-realm", "Format", None, None, raw=cbor2.dumps(cbor2.CBORTag(399, {44234: platform_token})))
    emit("envelope-untagged-sign1", "Format", None, None,
         raw=collection(cbor2.dumps(cbor2.loads(platform_token).value), realm_token))

    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
    for name, key in expected_keys.items():
        with open(os.path.join(out, name + ".pem"), "wb") as f:
            f.write(key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))


def diag_to_cbor(text: str) -> bytes:
    # Strip / comments / outside strings, then let Python parse the rest as a literal.
    out, i, in_string = [], 0, False
    while i < len(text):
        c = text[i]
        if in_string:
            out.append(c)
            in_string = c != '"'
        elif c == '"':
            out.append(c)
            in_string = True
        elif c == "/":
            i = text.index("/", i + 1)
        else:
            out.append(c)
        i += 1
    source = re.sub(r"h'([0-9A-Fa-f]*)'", r"bytes.fromhex('\1')", "".join(out))
    source = source.replace("<<", "cbor2.dumps(").replace(">>", ")")
    source = re.sub(r"\b(\d+)\(", r"cbor2.CBORTag(\1, ", source)
    return cbor2.dumps(eval(source, {"cbor2": cbor2}))


def verify(token_path: str, cpak_path: str) -> int:
    with open(cpak_path, "rb") as f:
        data = f.read()
    try:
        cpak = serialization.load_pem_public_key(data)
    except ValueError:
        cpak = serialization.load_pem_private_key(data, None).public_key()
    with open(token_path, "rb") as f:
        top = cbor2.loads(f.read())
    try:
        if not isinstance(top, cbor2.CBORTag) or top.tag != 399 or set(top.value) != {44234, 44241}:
            raise ValueError("not a tag-399 CCA collection")
        platform = verify1(top.value[44234], cpak)
        realm_message = cbor2.loads(top.value[44241]).value
        realm_payload = cbor2.loads(realm_message[2])
        rak_bytes = realm_payload[44237]
        if realm_payload.get(265) != REALM_PROFILE:
            raise ValueError("realm profile is not RMM 1.0")
        rak_map = cbor2.loads(rak_bytes)
        if rak_map[1] != 2 or rak_map[-1] != 2:
            raise ValueError("RAK is not an EC2 P-384 COSE_Key")
        rak = ec.EllipticCurvePublicNumbers(int.from_bytes(rak_map[-2], "big"), int.from_bytes(rak_map[-3], "big"), ec.SECP384R1()).public_key()
        verify1(top.value[44241], rak)
        if platform[10] != HASHES[realm_payload[44240]](rak_bytes).digest():
            raise ValueError("binding: platform challenge is not the RAK hash")
        if platform.get(265) != PLATFORM_PROFILE or len(realm_payload[10]) != 64 or len(realm_payload[44239]) != 4:
            raise ValueError("claims do not follow RMM 1.0")
    except (InvalidSignature, ValueError, KeyError, TypeError, AttributeError) as e:
        print(f"invalid: {type(e).__name__} {e}")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "make":
        make(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "diag":
        with open(sys.argv[2]) as f:
            print(diag_to_cbor(f.read()).hex())
    elif len(sys.argv) == 4 and sys.argv[1] == "verify":
        sys.exit(verify(sys.argv[2], sys.argv[3]))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)

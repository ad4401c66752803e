package client

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"filippo.io/edwards25519"
)

// The pure computations of the authentication plugins. They have no I/O
// and are tested against independent vectors.

// scrambleNativePassword is mysql_native_password's response:
// SHA1(password) XOR SHA1(nonce + SHA1(SHA1(password))). The server stores
// SHA1(SHA1(password)) and can check it without knowing the password. An
// empty password gives an empty response.
func scrambleNativePassword(password, nonce []byte) []byte {
	if len(password) == 0 {
		return nil
	}
	stage1 := sha1.Sum(password)
	stage2 := sha1.Sum(stage1[:])
	h := sha1.New()
	h.Write(nonce)
	h.Write(stage2[:])
	out := h.Sum(nil)
	for i := range out {
		out[i] ^= stage1[i]
	}
	return out
}

// scrambleCachingSHA2 is caching_sha2_password's fast-path response:
// SHA256(password) XOR SHA256(SHA256(SHA256(password)) + nonce). An empty
// password gives an empty response.
func scrambleCachingSHA2(password, nonce []byte) []byte {
	if len(password) == 0 {
		return nil
	}
	stage1 := sha256.Sum256(password)
	stage2 := sha256.Sum256(stage1[:])
	h := sha256.New()
	h.Write(stage2[:])
	h.Write(nonce)
	out := h.Sum(nil)
	for i := range out {
		out[i] ^= stage1[i]
	}
	return out
}

// encryptPasswordRSA encrypts password + NUL, XORed with the nonce repeated
// cyclically, with RSA-OAEP (SHA-1) under the server's public key: the
// caching_sha2_password (and sha256_password) full authentication over an
// unencrypted connection. The XOR binds the ciphertext to this connection's
// nonce so that it cannot be replayed.
func encryptPasswordRSA(password, nonce []byte, pub *rsa.PublicKey) ([]byte, error) {
	if pub == nil {
		return nil, errors.New("encrypt password: no RSA public key")
	}
	if len(nonce) == 0 {
		return nil, errors.New("encrypt password: empty nonce")
	}
	plain := make([]byte, len(password)+1)
	copy(plain, password)
	for i := range plain {
		plain[i] ^= nonce[i%len(nonce)]
	}
	out, err := rsa.EncryptOAEP(sha1.New(), rand.Reader, pub, plain, nil)
	if err != nil {
		return nil, fmt.Errorf("encrypt password with the server's RSA key: %w", err)
	}
	return out, nil
}

// signEd25519 is MariaDB's client_ed25519 response: an Ed25519 signature of
// the nonce whose secret key is derived from the password the way MariaDB
// does (the password plays the role of the 32-byte seed, but hashed whole):
// h = SHA-512(password), secret scalar a = clamp(h[0:32]), A = a·B,
// r = SHA-512(h[32:64] || nonce) mod L, R = r·B,
// S = r + SHA-512(R || A || nonce)·a mod L; the signature is R || S.
func signEd25519(password, nonce []byte) []byte {
	h := sha512.Sum512(password)
	a, err := edwards25519.NewScalar().SetBytesWithClamping(h[:32])
	if err != nil {
		// Unreachable: the input is always 32 bytes.
		panic("client: ed25519 clamping: " + err.Error())
	}
	pubA := new(edwards25519.Point).ScalarBaseMult(a).Bytes()

	rh := sha512.New()
	rh.Write(h[32:])
	rh.Write(nonce)
	r, err := edwards25519.NewScalar().SetUniformBytes(rh.Sum(nil))
	if err != nil {
		panic("client: ed25519 nonce scalar: " + err.Error())
	}
	R := new(edwards25519.Point).ScalarBaseMult(r).Bytes()

	kh := sha512.New()
	kh.Write(R)
	kh.Write(pubA)
	kh.Write(nonce)
	k, err := edwards25519.NewScalar().SetUniformBytes(kh.Sum(nil))
	if err != nil {
		panic("client: ed25519 challenge scalar: " + err.Error())
	}
	S := edwards25519.NewScalar().MultiplyAdd(k, a, r)

	sig := make([]byte, 0, 64)
	sig = append(sig, R...)
	return append(sig, S.Bytes()...)
}

// parsePublicKeyPEM decodes an RSA public key in PEM form, either PKIX
// ("PUBLIC KEY", what MySQL sends and writes to public_key.pem) or PKCS#1
// ("RSA PUBLIC KEY").
func parsePublicKeyPEM(pemBytes []byte) (*rsa.PublicKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("no PEM block found")
	}
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse PKIX public key: %w", err)
		}
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("public key is %T, not RSA", k)
		}
		return rk, nil
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse PKCS#1 public key: %w", err)
		}
		return k, nil
	default:
		return nil, fmt.Errorf("PEM block of type %q, want \"PUBLIC KEY\" or \"RSA PUBLIC KEY\"", block.Type)
	}
}

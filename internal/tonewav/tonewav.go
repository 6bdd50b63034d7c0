// Package tonewav writes the sine-tone WAV files the phone tests play
// through baresip (server and softphone tests alike; it depends on nothing
// of Kaz, so that softphone's own tests may import it).
package tonewav

import (
	"encoding/binary"
	"math"
	"os"
	"testing"
)

// Write writes a mono 16-bit PCM WAV file of a sine tone: freq Hz
// at the given sample rate and peak amplitude (out of 32767), seconds
// long. The phone tests play it from baresip and look for its frequency on
// the far side.
func Write(t testing.TB, path string, freq float64, rate, amplitude, seconds int) {
	t.Helper()
	n := rate * seconds
	data := make([]byte, 44+2*n)
	copy(data[0:], "RIFF")
	binary.LittleEndian.PutUint32(data[4:], uint32(36+2*n))
	copy(data[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(data[16:], 16)
	binary.LittleEndian.PutUint16(data[20:], 1) // PCM
	binary.LittleEndian.PutUint16(data[22:], 1) // mono
	binary.LittleEndian.PutUint32(data[24:], uint32(rate))
	binary.LittleEndian.PutUint32(data[28:], uint32(rate*2))
	binary.LittleEndian.PutUint16(data[32:], 2)
	binary.LittleEndian.PutUint16(data[34:], 16)
	copy(data[36:], "data")
	binary.LittleEndian.PutUint32(data[40:], uint32(2*n))
	for i := range n {
		v := int16(float64(amplitude) * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
		binary.LittleEndian.PutUint16(data[44+2*i:], uint16(v))
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

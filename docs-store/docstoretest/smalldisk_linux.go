package docstoretest

import (
	"errors"
	"os"
	"strconv"
	"syscall"
	"testing"
)

// SmallDisk mounts a tmpfs of size bytes on a new temporary folder and
// returns the folder, unmounted when the test ends: a real file system
// that fills up (ENOSPC), for the tests of a full disk. Mounting needs
// root (CAP_SYS_ADMIN); without it the test is skipped, or fails when
// KAZ_E2E=1.
func SmallDisk(t testing.TB, size int64) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "size="+strconv.FormatInt(size, 10)+",mode=0700"); err != nil {
		if os.Getenv("KAZ_E2E") == "1" {
			t.Fatalf("KAZ_E2E=1 but a small tmpfs cannot be mounted: %v", err)
		}
		t.Skipf("skipped: a small tmpfs cannot be mounted (%v); run as root, or set KAZ_E2E=1 to make this a failure", err)
	}
	t.Cleanup(func() {
		// Files still open (a store not closed) keep the mount busy:
		// detach it then, the kernel frees it once they are closed.
		err := syscall.Unmount(dir, 0)
		if errors.Is(err, syscall.EBUSY) {
			err = syscall.Unmount(dir, syscall.MNT_DETACH)
		}
		if err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

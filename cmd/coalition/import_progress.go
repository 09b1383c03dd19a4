package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/coalitiondev/coalition/producers"
)

// progressBar draws one status line on a terminal while an import runs,
// and passes report lines through, clearing the bar before each so the two
// never mix. On anything but a terminal it only passes report lines
// through: logs and pipes get no control characters.
type progressBar struct {
	w    io.Writer
	on   bool
	mu   sync.Mutex
	last time.Time
	text string // the line drawn, "" when none is
}

func newProgressBar(w io.Writer) *progressBar {
	return &progressBar{w: w, on: isTerminal(w)}
}

// Write writes report lines, above the bar.
func (b *progressBar) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.clear()
	return b.w.Write(p)
}

// update redraws the bar, at most ten times a second.
func (b *progressBar) update(p producers.GDELTProgress) {
	if !b.on {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if now := time.Now(); now.Sub(b.last) >= 100*time.Millisecond {
		b.last = now
		b.text = renderProgress(p, 30)
		fmt.Fprintf(b.w, "\r\033[K%s", b.text)
	}
}

// done removes the bar.
func (b *progressBar) done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.clear()
}

func (b *progressBar) clear() {
	if b.text != "" {
		fmt.Fprint(b.w, "\r\033[K")
		b.text = ""
	}
}

// renderProgress renders "name [=====>    ]  45%  12345 rows"; without a
// known size, the bytes read instead of the bar.
func renderProgress(p producers.GDELTProgress, width int) string {
	name := filepath.Base(p.File)
	if p.Total <= 0 {
		return fmt.Sprintf("%s  %s read  %d rows", name, mib(p.Done), p.Rows)
	}
	frac := min(float64(p.Done)/float64(p.Total), 1)
	n := int(frac * float64(width))
	bar := strings.Repeat("=", n)
	if n < width {
		bar += ">" + strings.Repeat(" ", width-n-1)
	}
	return fmt.Sprintf("%s [%s] %3.0f%%  %d rows", name, bar, 100*frac, p.Rows)
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// ttyFd reports whether fd is a terminal: the TCGETS ioctl succeeds only
// on one. (A character device is not enough: /dev/null is one.)
func ttyFd(fd uintptr) bool {
	var t syscall.Termios
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TCGETS, uintptr(unsafe.Pointer(&t)))
	return errno == 0
}

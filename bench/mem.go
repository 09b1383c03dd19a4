package bench

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"sync"
	"time"
)

// procStatus returns a field of /proc/self/status in bytes (VmRSS, VmHWM),
// or 0 where there is no /proc.
func procStatus(field string) uint64 { return procStatusOf("self", field) }

// procStatusOf is procStatus of another process ("self" or a pid).
func procStatusOf(pid, field string) uint64 {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, []byte(field+":")) {
			continue
		}
		f := bytes.Fields(line[len(field)+1:])
		if len(f) == 0 {
			return 0
		}
		kb, _ := strconv.ParseUint(string(f[0]), 10, 64)
		return kb * 1024
	}
	return 0
}

func rss() uint64     { return procStatus("VmRSS") }
func peakRSS() uint64 { return procStatus("VmHWM") }

func mb(b uint64) float64 { return float64(b) / (1 << 20) }

// phasePeak tracks the peak RSS of one phase.
type phasePeak struct {
	mu   sync.Mutex
	peak uint64
	done chan struct{}
	wg   sync.WaitGroup
}

func watchRSS() *phasePeak {
	p := &phasePeak{done: make(chan struct{}), peak: rss()}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(25 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.done:
				return
			case <-t.C:
				v := rss()
				p.mu.Lock()
				p.peak = max(p.peak, v)
				p.mu.Unlock()
			}
		}
	}()
	return p
}

// stop ends the watch and returns the peak in MiB.
func (p *phasePeak) stop() float64 {
	close(p.done)
	p.wg.Wait()
	return mb(max(p.peak, rss()))
}

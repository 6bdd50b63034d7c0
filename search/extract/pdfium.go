package extract

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/klippa-app/go-pdfium"
	"github.com/klippa-app/go-pdfium/requests"
	"github.com/klippa-app/go-pdfium/webassembly"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// The pure-Go PDF fallback: PDFium (the engine of Chromium's PDF viewer)
// compiled to WebAssembly and run by wazero, through klippa-app/go-pdfium.
// It reads what hand-written Go PDF parsers garble (Word-exported PDFs,
// CID fonts, ToUnicode maps) and keeps the binary static (no cgo). It is
// used when pdftotext is not installed.
//
// Safety: the module sees no file system (documents are handed over as
// bytes), its memory is capped, its output is discarded, and a call that
// outlives the extraction deadline is aborted by closing its instance.

// pdfiumMemoryPages caps one instance's memory (64 KiB pages): 512 MiB.
const pdfiumMemoryPages = 8192

// pdfiumInstances bounds the PDFs extracted at once by the fallback.
const pdfiumInstances = 2

var pdfiumPool struct {
	once sync.Once
	pool pdfium.Pool
	err  error
}

// pdfiumGet compiles the module on first use (a few seconds, once per
// process) and returns an instance, waiting for one while ctx allows.
func pdfiumGet(ctx context.Context) (pdfium.Pdfium, error) {
	pdfiumPool.once.Do(func() {
		pdfiumPool.pool, pdfiumPool.err = webassembly.Init(webassembly.Config{
			MinIdle:  0,
			MaxIdle:  1,
			MaxTotal: pdfiumInstances,
			// Only what the extraction hands over: no host folder mounted.
			FSConfig: wazero.NewFSConfig(),
			RuntimeConfig: wazero.NewRuntimeConfig().
				WithCoreFeatures(api.CoreFeaturesV2 | experimental.CoreFeaturesExceptionHandling).
				WithCloseOnContextDone(true).
				WithMemoryLimitPages(pdfiumMemoryPages),
			Stdout:       io.Discard,
			Stderr:       io.Discard,
			ReuseWorkers: true,
		})
	})
	if pdfiumPool.err != nil {
		return nil, fmt.Errorf("extract: pdfium: %w", pdfiumPool.err)
	}
	inst, err := pdfiumPool.pool.GetInstanceWithContext(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("took too long: %w", ctx.Err())
		}
		return nil, fmt.Errorf("extract: pdfium: %w", err)
	}
	return inst, nil
}

// extractPDFium extracts the text and properties of a PDF with PDFium.
// The work runs beside the caller, which gives up at ctx's deadline and
// kills the instance (its memory goes with it).
func extractPDFium(ctx context.Context, data []byte, lim Limits) (Text, error) {
	inst, err := pdfiumGet(ctx)
	if err != nil {
		return Text{}, err
	}
	type result struct {
		t   Text
		err error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		defer func() {
			if p := recover(); p != nil {
				r.err = fmt.Errorf("extract: pdfium failed: %v", p)
			}
			done <- r
		}()
		r.t, r.err = pdfiumText(inst, data, lim.MaxText)
	}()
	select {
	case r := <-done:
		inst.Close()
		return r.t, r.err
	case <-ctx.Done():
		inst.Kill()
		// The call returns once wazero notices the closed module.
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
		return Text{}, fmt.Errorf("took too long: %w", ctx.Err())
	}
}

func pdfiumText(inst pdfium.Pdfium, data []byte, maxText int) (Text, error) {
	var t Text
	doc, err := inst.OpenDocument(&requests.OpenDocument{File: &data})
	if err != nil {
		return t, fmt.Errorf("extract: not a readable PDF: %w", pdfiumError(err))
	}
	defer inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: doc.Document})
	if md, err := inst.GetMetaData(&requests.GetMetaData{Document: doc.Document}); err == nil {
		for _, tag := range md.Tags {
			switch tag.Tag {
			case "Title":
				t.Title = tag.Value
			case "Author":
				t.Author = tag.Value
			}
		}
	}
	pages, err := inst.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: doc.Document})
	if err != nil {
		return t, fmt.Errorf("extract: PDF pages: %w", pdfiumError(err))
	}
	body := textBuf{max: maxText}
	for i := 0; i < pages.PageCount && !body.full(); i++ {
		pt, err := inst.GetPageText(&requests.GetPageText{Page: requests.Page{ByIndex: &requests.PageByIndex{Document: doc.Document, Index: i}}})
		if err != nil {
			// One unreadable page does not lose the others.
			continue
		}
		if i > 0 {
			body.WriteString("\n\n")
		}
		body.WriteString(strings.ReplaceAll(pt.Text, "\r\n", "\n"))
	}
	t.Body = strings.ToValidUTF8(body.b.String(), "")
	return t, nil
}

// pdfiumError keeps PDFium's plain reason (password, format, …) short.
func pdfiumError(err error) error {
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return errors.New(msg)
}

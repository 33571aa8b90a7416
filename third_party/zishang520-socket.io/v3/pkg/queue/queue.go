// Package queue provides a sequential, non-blocking, unbounded task execution queue.
// It mimics Node.js's event loop and is deeply inspired by Kubernetes workqueue.
package queue

import (
	"log"
	"runtime"
	"sync"
)

// Queue serializes function execution through a single goroutine.
// It uses an unbounded slice to ensure Enqueue never blocks the caller.
//
// The goroutine runs only while there are tasks: Enqueue starts it when the
// queue is idle, and it ends once the queue is empty. An idle queue (a
// connection that sends nothing) holds no goroutine and no task slice.
type Queue struct {
	mu           sync.Mutex
	tasks        []func()
	running      bool // a goroutine is running the tasks
	shuttingDown bool
	closed       bool // done is closed
	done         chan struct{}
}

// New creates a new Queue. Its goroutine starts with the first task.
func New() *Queue {
	// No finalizer: an idle queue has nothing to stop, and a running
	// goroutine ends by itself once the tasks are done. Owners stop the
	// queue with Close or TryClose.
	return &Queue{done: make(chan struct{})}
}

// Enqueue adds a task to the queue for sequential execution.
// It returns immediately and NEVER blocks.
func (q *Queue) Enqueue(task func()) {
	if task == nil {
		return
	}

	q.mu.Lock()
	defer q.mu.Unlock()

	if q.shuttingDown {
		return
	}

	q.tasks = append(q.tasks, task)
	if !q.running {
		q.running = true
		go q.loop()
	}
}

// Size returns the number of pending tasks in the queue.
func (q *Queue) Size() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.tasks)
}

// loop runs the tasks, one after the other, until there are none.
func (q *Queue) loop() {
	for {
		task, ok := q.get()
		if !ok {
			return
		}
		q.execute(task)
	}
}

// get takes the next task, or reports false, and marks the queue idle, when
// there is none.
func (q *Queue) get() (func(), bool) {
	q.mu.Lock()
	defer q.mu.Unlock()

	if len(q.tasks) == 0 {
		q.running = false
		q.tasks = nil // an idle queue keeps no slice
		if q.shuttingDown {
			q.closeDone()
		}
		return nil, false
	}

	task := q.tasks[0]

	q.tasks[0] = nil
	q.tasks = q.tasks[1:]

	return task, true
}

// closeDone closes done once. q.mu is held.
func (q *Queue) closeDone() {
	if !q.closed {
		q.closed = true
		close(q.done)
	}
}

// execute runs the task with built-in panic recovery.
func (q *Queue) execute(task func()) {
	defer func() {
		if err := recover(); err != nil {
			buf := make([]byte, 4096)
			n := runtime.Stack(buf, false)
			log.Printf("queue task panic recovered: %v\n%s", err, buf[:n])
		}
	}()
	task()
}

// Close shuts down the Queue gracefully.
// It waits for all previously enqueued tasks to complete before returning.
func (q *Queue) Close() {
	q.TryClose()
	<-q.done
}

// TryClose shuts down the Queue without waiting for completion.
func (q *Queue) TryClose() {
	q.mu.Lock()
	q.shuttingDown = true
	if !q.running {
		q.closeDone()
	}
	q.mu.Unlock()
}

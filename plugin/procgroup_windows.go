package plugin

import (
	"os/exec"
	"unsafe"

	"golang.org/x/sys/windows"
)

// startInGroup starts the delegated plugin in a job object, so that the
// deadline terminates it with every process it started (a wrapper script's
// children would otherwise keep running, and keep its stdout open). The job
// kills what is left when it is closed: the returned function closes it
// once the plugin has exited. A process the plugin starts in the instant
// before it joins the job escapes it; the command's WaitDelay still bounds
// the wait for its output.
func startInGroup(cmd *exec.Cmd) (func(), error) {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return func() {}, cmd.Start() // no job: the process alone is killed
	}
	info := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{}
	info.BasicLimitInformation.LimitFlags = windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
	_, _ = windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info)))
	cmd.Cancel = func() error {
		_ = windows.TerminateJobObject(job, 1)
		return cmd.Process.Kill()
	}
	if err := cmd.Start(); err != nil {
		windows.CloseHandle(job)
		return func() {}, err
	}
	if h, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE, false, uint32(cmd.Process.Pid)); err == nil {
		_ = windows.AssignProcessToJobObject(job, h)
		windows.CloseHandle(h)
	}
	return func() { windows.CloseHandle(job) }, nil
}

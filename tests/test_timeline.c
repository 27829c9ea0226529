/* test_timeline.c — (being written) */
int main(void) { return 0; }
